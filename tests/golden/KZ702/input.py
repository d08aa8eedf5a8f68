# --- will match
def connect(host, port, user, password, timeout, retries, verbose):
    return host


class Client:
    def open(self, a, b, c, d, e, f, *rest, g=1, **options):
        return a


# --- will not match
def small(host, port, user, password, timeout, retries):
    return host


class Server:
    def start(self, a, b, c, d, e, *, f=1):
        return a
