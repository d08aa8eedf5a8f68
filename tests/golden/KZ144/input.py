# --- will match
from collections import OrderedDict


def groups(names):
    a = dict.fromkeys(names, [])
    b = dict.fromkeys(names, {})
    c = dict.fromkeys(names, set())
    d = OrderedDict.fromkeys(names, list())
    e = dict.fromkeys(names, [0] * 3)
    return a, b, c, d, e


# --- will not match
def fine(names, default):
    a = dict.fromkeys(names)
    b = dict.fromkeys(names, 0)
    c = dict.fromkeys(names, ())
    d = dict.fromkeys(names, default)
    e = {name: [] for name in names}
    f = other.fromkeys(names, [])
    g = dict.fromkeys(names, frozenset())
    return a, b, c, d, e, f, g
