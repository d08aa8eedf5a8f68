# --- will match
def describe(user, count, where):
    a = "{} has {} items".format(user)
    b = "{0} and {1}".format(user)
    c = "{} in {where}".format(user)
    d = "{0} and {}".format(user, count)
    e = "{} items".format(count, where)
    f = "{user}".format(user=user, count=count)
    g = "{".format(user)
    h = ("{} "
         "{}").format(user)
    i = "{:{width}}".format(user)
    return a, b, c, d, e, f, g, h, i


# --- will not match
def fine(user, count, args, kwargs, table):
    a = "{} has {} items".format(user, count)
    b = "{0} {0}".format(user)
    c = "{} {}".format(*args)
    d = "{name}".format(**kwargs)
    e = "{0.name} {0[1]} {1}".format(user, count)
    f = "{:{width}}".format(user, width=10)
    g = "{{}} literal braces".format()
    h = template.format(user)  # not a literal
    i = f"{user}".format(count)  # an f-string's result: unknown
    j = "{name!r:>10}".format(name=user)
    k = "{} {}".format(user, *args)
    with pytest.raises(IndexError):
        "{} {}".format(user)
    return a, b, c, d, e, f, g, h, i, j, k
