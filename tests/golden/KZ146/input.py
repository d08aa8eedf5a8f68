# --- will match
def classify(ext, mode, n):
    if ext == ".py" or ".pyw":
        return 1
    elif mode != "r" or "rb":
        return 2
    while n > 0 or 1:
        n -= 1
    assert mode == "w" or "x"
    kind = "text" if mode == "t" or "txt" else "binary"
    return kind


# --- will not match
def fine(ext, mode, value):
    if ext in (".py", ".pyw"):
        return 1
    if ext == ".py" or ext == ".pyw":
        return 2
    name = value or "default"  # not a condition
    if mode == "r" or "":  # an empty string: not always true
        return 3
    if value or "x":  # no comparison on the left: a different mistake, or deliberate
        return 4
    return name
