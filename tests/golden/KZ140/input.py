# --- will match
class Config:
    def __init__(self, path):
        self.path = path
        if not path:
            return False
        return self.load()


class Lazy:
    def __init__(self, items):
        for item in items:
            yield item


class Delegating:
    @property
    def other(self):
        return 1

    def __init__(self):
        value = yield from range(3)


# --- will not match
class Fine:
    def __init__(self, path):
        if not path:
            return
        self.path = path
        return None


class Sub(Fine):
    def __init__(self, path):
        def helper():
            return 1
        self.values = [x for x in range(3)]
        gen = (x for x in range(3))
        return super().__init__(path)


def __init__(self):
    return 1  # a module-level function, not a method
