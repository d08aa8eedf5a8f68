# --- will match
counts = dict()
names = list()
empty = tuple()
nested = {"a": list()}

# --- will not match
pairs = dict(a=1)
copy = list(names)
frozen = tuple(names)
literal = {}
