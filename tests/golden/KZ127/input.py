# --- will match
import unittest

import pytest


class T(unittest.TestCase):
    def test_one(self):
        with self.assertRaises(Exception):
            parse("")

    def test_two(self):
        self.assertRaises(BaseException, parse, "")


def test_pytest():
    with pytest.raises(Exception):
        parse("")
    with pytest.raises(BaseException) as info:
        parse("")


# --- will not match
class U(unittest.TestCase):
    def test_one(self):
        with self.assertRaises(ValueError):
            parse("")
        with self.assertRaisesRegex(Exception, "bad input"):
            parse("")
        self.assertRaises((TypeError, ValueError), parse, "")


def test_narrow():
    with pytest.raises(ValueError):
        parse("")
    with pytest.raises(Exception, match="bad input"):
        parse("")
    with other.raises(Exception):  # not pytest
        parse("")
    with pytest.raises(ExceptionGroup):
        parse("")
