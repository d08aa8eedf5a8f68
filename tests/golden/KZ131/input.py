# --- will match
def port(text):
    try:
        return int(text)
    except ValueError as exc:
        raise ConfigError("port must be a number")


def load(path):
    try:
        return open(path).read()
    except OSError as err:
        if err.errno == 2:
            raise errors.MissingFile(path)  # comment stays
        raise LoadError


# --- will not match
def fine(text):
    try:
        return int(text)
    except ValueError as exc:
        raise ConfigError("port must be a number") from exc
    except TypeError as exc:
        raise ConfigError(f"bad value: {exc}")
    except KeyError as exc:
        raise
    except LookupError as exc:
        raise exc
    except OSError:
        raise ConfigError("no name bound")
    except RuntimeError as exc:
        raise make_error("wrapped")
    except ArithmeticError as exc:
        raise ConfigError("hidden") from None
    except Exception as exc:
        def later():
            raise ConfigError("in a nested function")
        return later
