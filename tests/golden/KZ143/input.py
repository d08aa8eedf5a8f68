# --- will match
def parse(text):
    try:
        return int(text)
    except ValueError or TypeError:
        return None
    except (KeyError or IndexError) as exc:
        return exc
    except OSError and RuntimeError:
        return 0
    except errors.A or errors.B or errors.C:
        return 1


# --- will not match
def fine(text, handlers):
    try:
        return int(text)
    except (ValueError, TypeError):
        return None
    except handlers.get("x"):
        return 0
    except Exception:
        return value or default
