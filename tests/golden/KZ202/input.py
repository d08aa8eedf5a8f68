# --- will match
def known(names, allowed_names):
    allowed = [n.lower() for n in allowed_names]
    return [n for n in names if n in allowed]


def filter_words(words):
    stop = ["a", "the"]
    out = []
    for w in words:
        if w not in stop:
            out.append(w)
    return out


BLOCKED = list(load())


def scan(items):
    for item in items:
        if item in BLOCKED:
            print(item)

# --- will not match
def fine(names, allowed_names):
    allowed = {n.lower() for n in allowed_names}
    return [n for n in names if n in allowed]


def once(names):
    seen = []
    return "x" in seen


def rebound(names):
    pool = []
    pool = set(pool)
    for n in names:
        if n in pool:
            pass
