# --- will match
def test_parse():
    assert parse("1") == 1


def test_parse():
    assert parse("2") == 2


class Handler:
    def handle(self):
        return 1

    def handle(self):
        return 2

# --- will not match
def helper():
    return 1


alias = helper


def helper():
    return 2


class Prop:
    @property
    def value(self):
        return 1

    @value.setter
    def value(self, v):
        pass


if FAST:
    def run():
        pass
else:
    def run():
        pass


def compat():
    return 1


def compat():  # noqa: F811
    return 2
