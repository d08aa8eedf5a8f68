# --- will match
class Config:
    """Settings."""
    pass


def work():
    pass
    return 1


if ready:
    start()
    pass

if waiting:
    pass  # keep the comment
    idle()

# --- will not match
class Empty:
    pass


def todo():
    pass
