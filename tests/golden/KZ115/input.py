# --- will match
def read(path):
    try:
        return load(path)
    finally:
        return None


def drain(items):
    for item in items:
        try:
            handle(item)
        finally:
            if item.last:
                break
            continue

# --- will not match
def cleanup(path):
    try:
        return load(path)
    finally:
        close(path)


def inner_loop(items):
    try:
        pass
    finally:
        for item in items:
            if item:
                break
            continue

        def callback():
            return 1
