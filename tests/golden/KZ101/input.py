# --- will match
def add(item, items=[]):
    items.append(item)
    return items


def merge(extra, into: dict = {}):
    into.update(extra)
    return into


def tags(*, seen={"a"}):
    return seen

# --- will not match
def add_ok(item, items=None):
    if items is None:
        items = []
    items.append(item)
    return items


def frozen(values=()):
    return values


def named(mapping=None, size=0, label="x"):
    return mapping
