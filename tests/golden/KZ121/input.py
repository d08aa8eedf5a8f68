import os

count = 0


# --- will match
def tick():
    count += 1
    return count


def path_of(name):
    full = os.path.join("/tmp", name)
    os = None
    return full, os


def shadow_builtin(items):
    n = len(items)
    len = 0
    return n + len


def outer():
    total = 0

    def add():
        total = total + 1
        return total

    return add


# --- will not match
def declared():
    global count
    count += 1


def assigned_first():
    count = 1
    return count


def in_loop(values):
    for v in values:
        if v:
            print(last)
        last = v


def while_loop():
    while True:
        print(step)
        step = 1


def nested():
    def inner():
        return later

    later = 1
    return inner


def probe():
    try:
        return count
    except NameError:
        count = 0


def parameter(count):
    count += 1
    return count


def never_outside():
    print(undefined_everywhere)
    undefined_everywhere = 1


def nonlocal_use():
    value = 0

    def inner():
        nonlocal value
        value += 1

    return inner
