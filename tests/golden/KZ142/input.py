# --- will match
def names(filename, url, text):
    a = filename.rstrip(".py")
    b = url.lstrip("http://")
    c = text.strip("aba")
    d = filename.rstrip(".txt")
    e = text.strip(b"xyzx")
    return a, b, c, d, e


# --- will not match
def fine(filename, text, chars):
    a = filename.removesuffix(".py")
    b = text.strip(" \t\n")
    c = text.rstrip("/")
    d = text.strip(chars)
    e = text.lstrip(".py")  # lstrip of an extension: no claim
    f = text.rstrip(".0")  # digits: a number's trailing zeros and point
    g = text.strip()
    return a, b, c, d, e, f, g
