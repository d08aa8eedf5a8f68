# --- will match
import logging
import unittest

logger = logging.getLogger(__name__)


class TestParse(unittest.TestCase):
    def test_aliases(self):
        self.assertEquals(parse("1"), 1)
        self.assertNotEquals(parse("1"), 2)
        self.failUnless(parse("1"))
        self.assert_(True)
        with self.assertRaisesRegexp(ValueError, "bad"):
            parse("x")

    def test_logging(self):
        logging.warn("old")
        logger.warn("old too")

# --- will not match
class TestNew(unittest.TestCase):
    def test_current(self):
        self.assertEqual(parse("1"), 1)
        self.assertRegex("abc", "b")
        logger.warning("fine")
        warnings.warn("not logging")
        helper.assertEquals(1, 1)
