# --- will match
import re


def squash(text):
    a = re.sub(r"\s+", " ", text, re.MULTILINE)
    b = re.subn("x", "y", text, re.I | re.S)
    c = re.split(",", text, re.IGNORECASE)
    return a, b, c


# --- will not match
def fine(text, pattern):
    a = re.sub(r"\s+", " ", text, flags=re.MULTILINE)
    b = re.sub("x", "y", text, 2)
    c = re.split(",", text, 1, re.I)
    d = pattern.sub(" ", text)
    e = re.split(",", text)
    f = re.sub("a", "b", text, count)
    return a, b, c, d, e, f
