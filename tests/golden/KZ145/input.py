# --- will match
import re

VERSION = re.compile(r"(\d+)\.(\d+")
STAR = re.compile("*.py")
ESCAPE = re.compile(r"\p{L}")


def find(text):
    a = re.search("[a-z", text)
    b = re.sub(r"(?P<x>a)", r"\g<y>", text) if re.match("a{2,1}", text) else None
    c = re.findall(r"""
        (\d+)   # digits
        )""", text, re.VERBOSE)
    return a, b, c


# --- will not match
OK = re.compile(r"(\d+)\.(\d+)")
VERBOSE = re.compile(r"""
    \d+  # a number
    \s*  # spaces ( not a group in verbose mode
""", re.X)


def fine(text, pattern, flags):
    a = re.search(pattern, text)
    b = re.compile("(abc", flags)  # flags unknown
    c = re.match(b"[a-z]+", b"abc")
    d = re.sub("a", "b", text)
    with pytest.raises(re.error):
        re.compile("(")
    return a, b, c, d
