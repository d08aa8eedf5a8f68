# --- will match
def sign(x):
    if x < 0:
        return -1
    else:
        y = (x,
             1)
        return y


def check(value):
    if value is None:
        raise ValueError("no value")
    else:
        for item in value:
            print(item)
    return value


def inline(x):
    if x:
        return 1
    else: return 2


def text(x):
    if x:
        return ""
    else:  # a comment on the else line stays a finding, with the fix declined
        return """a
b"""


# --- will not match
def chain(x):
    if x < 0:
        return -1
    elif x == 0:
        return 0
    else:
        return 1


def loop(x):
    if x:
        print(x)
    else:
        return 0
    return 1
