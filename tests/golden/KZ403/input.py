# --- will match
def is_admin(user, admins):
    if user in admins:
        return True
    else:
        return False


def is_big(x):
    if x > 100:
        return True
    return False


def is_missing(key, table):
    if key in table:
        return False
    return True


def is_empty(a, b):
    if a or b:
        return False
    else:
        return True


def check(x):
    if x is None:  # keep this comment
        return True
    return False


def is_empty_list(self):
    if len(self.entries) == 0:
        return True
    return False


def outside(a, b, c):
    if a and len(b) != 0:
        return False
    return True


def outside_objects(a, b, c):
    if a and b != c:
        return False
    return True


def typed(x):
    if isinstance(x, int):
        return True
    return False


def same_object(a, b):
    if a == b:
        return True
    return False


# --- will not match
def same(x):
    if x:
        return True
    else:
        return True


def other(x):
    if x:
        return 1
    return 0


def noisy(x):
    if x:
        print(x)
        return True
    return False
