# --- will match
def total(prices):
    count = len(prices)
    return sum(prices)


def settings():
    debug = False
    level = 3
    name = other
    return {}


def reader(stream):
    header = stream.readline()
    size = stream.size
    return stream.read()


def branch(flag):
    if flag:
        first = 1
        second = 2
    return flag

# --- will not match
def used(prices):
    count = len(prices)
    return count


def ignored(pairs):
    _ = compute()
    _tmp = 1
    dummy = compute()
    for key, value in pairs:
        pass
    total = 0
    total += 1
    annotated: int = 5


def dynamic():
    x = 1
    return locals()


def closure():
    y = 2

    def inner():
        return y

    return inner


def glob():
    global counter
    counter = 1


def formatted():
    name = "x"
    return f"hello {name}"


value = 1


def marked():
    kept = compute()  # noqa: F841
