# --- will match
import unittest


class T(unittest.TestCase):
    def test_values(self):
        self.assertTrue(count_items(), 3)
        self.assertTrue(pair(), ("a", "b"))
        self.assertFalse(flag(), False)
        self.assertTrue(items(), [1, 2])
        self.assertTrue(result(), None)


# --- will not match
class U(unittest.TestCase):
    def test_messages(self):
        self.assertTrue(ok(), "should be ok")
        self.assertTrue(ok(), msg)
        self.assertTrue(same(a, b), (a, b))  # debugging context
        self.assertFalse(late(), then - now)
        self.assertTrue(ok(), f"got {value}")
        self.assertTrue(ok())
        self.assertEqual(count_items(), 3)
