# --- will match
def check(items, mapping, value):
    a = items is []
    b = mapping is not {}
    c = value is list()
    d = value is dict()
    e = [] is items
    f = value is not object()
    g = value is lambda_value
    h = value is [x for x in items]
    i = value is {1, 2}
    return a, b, c, d, e, f, g, h, i


# --- will not match
def fine(items, value, sentinel):
    a = items == []
    b = value is None
    c = value is sentinel
    d = value is tuple()  # may be the shared empty tuple
    e = [] is not []  # a test of identity itself
    f = value is make()
    return a, b, c, d, e, f
