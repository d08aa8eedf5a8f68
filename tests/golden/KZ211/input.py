# --- will match
def drain(queue):
    while queue:
        handle(queue.pop(0))


def prepend(items, out):
    for item in items:
        out.insert(0, item)

# --- will not match
def stack(queue):
    while queue:
        handle(queue.pop())


def once(queue):
    return queue.pop(0)


def paths(dirs):
    import sys

    for d in dirs:
        sys.path.insert(0, d)
    while True:
        d.pop(0, None)
        break
