# --- will match
class Box:
    def __init__(self, size, items):
        self.size = self.size
        size = size
        items[0] = items[0]
        self.a, self.b = self.a, self.b


def swap(x, y):
    x, y = x, y
    return x, y


# --- will not match
TimeoutError = TimeoutError  # module level: a re-export


class Fine:
    name = name  # class body: copies an outer name

    def __init__(self, size, other):
        self.size = size
        self.other = other.other
        items[f()] = items[f()]  # calls: may differ
        x: int = x
        if other is None:
            other = other  # a deliberate "keep it" branch
        else:
            other = 1
