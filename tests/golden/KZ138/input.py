# --- will match
def parse(text):
    try:
        return int(text)
    except (ValueError, ValueError):
        return None
    except TypeError:
        return 1
    except (KeyError, TypeError):
        return 2


def read(path):
    try:
        return open(path).read()
    except OSError:
        return None
    except IOError:
        return ""
    except errors.Custom:
        return 1
    except errors.Custom:
        return 2


# --- will not match
def fine(path):
    try:
        return open(path).read()
    except (socket.error, IOError):  # compatibility spellings in one tuple
        return None
    except ValueError:
        return 1
    except errors.Other:
        return 2
