# --- will match
def report(name, size, rows):
    a = "%s is %d bytes, %s" % (name, size)
    b = "%s" % (name, size)
    c = "%(name)s" % (name,)
    d = "%(name)s has %(size)d" % {"name": name}
    e = "%s and %s" % "both"
    f = "%(a)s %s" % {"a": 1}
    g = "%y percent" % (size,)
    h = "100%" % (size,)
    i = "done" % size.__class__ if False else "%d %d" % 5
    j = ("%s: "
         "%s, %s") % (name, size)
    k = b"%s %s" % (b"x",)
    return a, b, c, d, e, f, g, h, i, j, k


# --- will not match
def fine(name, size, args, mapping, extra):
    a = "%s is %d bytes" % (name, size)
    b = "%s" % name  # a name may hold a tuple
    c = "%(name)s" % mapping
    d = "%(name)s %(size)d" % {"name": name, "size": size, "other": 1}
    e = "%s %s" % (*args,)
    f = "%(a)s" % {"a": 1, **extra}
    g = "%d%%" % (size,)
    h = "%*d|%-*.*f" % (3, size, 6, 2, 1.5)
    i = "%s" % {"k": 1}  # one value: the dict itself
    j = "plain" % {}  # a mapping may have unused keys
    k = b"%b" % (b"x",)
    m = "%s" % (name,)
    n = "%(a)s" % {key: 1}  # computed keys: unknown
    try:
        o = "%s %s" % (name,)
    except TypeError:
        o = ""
    return a, b, c, d, e, f, g, h, i, j, k, m, n, o
