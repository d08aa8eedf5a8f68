# --- will match
import json


def load(path):
    return json.loads(open(path).read())


def write(path, text):
    f = open(path, "w")
    f.write(text)


def lines(path):
    for line in open(path, encoding="utf-8"):
        yield line

def save(path, rows):
    f = open(path, "w")
    # one row a line
    for row in rows:
        f.write(row + "\n")
    f.close()
    return len(rows)


def copy_out(path):
    f = open(path)
    data = f.read()
    if not data:
        return None
    f.close()
    return data


def reopen(path):
    f = open(path)
    f.read()
    f.close()
    print(f.closed)

# --- will not match
def load_ok(path):
    with open(path) as f:
        return json.load(f)


def handle(path):
    return open(path)


def closed(path):
    f = open(path)
    try:
        return f.read()
    finally:
        f.close()


class Log:
    def __init__(self, path):
        self.stream = open(path, "a")


def managed(stack, path):
    return stack.enter_context(open(path))
