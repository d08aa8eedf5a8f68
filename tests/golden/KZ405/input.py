# --- will match
def check(user, item):
    if user.active:
        if item.visible:
            show(item)


def either(a, b, c):
    if a or b:
        if c:
            run()


def inline(a, b):
    if a:
        if b: run()


# --- will not match
def with_else(a, b):
    if a:
        if b:
            run()
    else:
        stop()


def inner_else(a, b):
    if a:
        if b:
            run()
        else:
            stop()


def more(a, b):
    if a:
        if b:
            run()
        log()
