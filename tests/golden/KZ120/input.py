# --- will match
def show(rows, default):
    for row in rows:
        row = default
        print(row)


def pick(pairs):
    for pair in pairs:
        pair = next(iter(pairs))
        yield pair


# --- will not match
def strip_lines(f):
    for line in f:
        line = line.strip()  # reads itself
        print(line)


def defaulted(items):
    for item in items:
        if item is None:
            item = 0  # conditional: the loop value is used otherwise
        print(item)


def read_first(items):
    for item in items:
        print(item)
        item = 2
        print(item)


def repeat(n, f):
    for i in range(n):
        i = f()  # range: the counter is often unused on purpose
        print(i)


def unused_after(items):
    for item in items:
        item = 1


def tuple_target(pairs):
    for a, b in pairs:
        a = 1
        print(a, b)


def underscore(items):
    for _x in items:
        _x = 1
        print(_x)
