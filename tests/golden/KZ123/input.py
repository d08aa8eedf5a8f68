# --- will match
def greet(name):
    name = "world"
    return "hello " + name


def connect(host, port=80):
    port = 8080
    return host, port


# --- will not match
def strip(name):
    name = name.strip()
    return name


def maybe(name=None):
    if name is None:
        name = "x"
    return name


def documented(name):
    """Uses name."""
    name = 1
    return name


def release(big):
    big = None  # dropping a reference on purpose
    return big


class Handler:
    def handle(self, request):
        request = 1  # an override keeps its signature
        return request


def load_tests(loader, tests, pattern):
    tests = []
    return tests


def star(*args, **kwargs):
    args = ()
    kwargs = {}
    return args, kwargs


def _private(_x):
    _x = 1
    return _x


def read_first(value):
    print(value)
    value = 2
    return value


def dynamic(value):
    value = 1
    return locals()
