# --- will match
def load(path):
    try:
        return open(path).read()
    except OSError:
        return None
    except FileNotFoundError:
        return ""
    except (IsADirectoryError, PermissionError) as exc:
        return str(exc)


def parse(text):
    try:
        return int(text)
    except Exception:
        return 0
    except (KeyError, Custom):
        return -1
    except LookupError:
        return -2


# --- will not match
def fine(path):
    try:
        return open(path).read()
    except FileNotFoundError:
        return ""
    except OSError:
        return None
    except ValueError:
        return None
    except Exception:
        return None


def rebound_name(text):
    class ValueError(Exception):
        pass
    try:
        return int(text)
    except Exception:
        return 0
    except ValueError:  # the local class, not the builtin: unknown
        return -1
