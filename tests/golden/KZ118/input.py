# --- will match
__all__ = ["parse", "dump", "Loader"]
__all__ += ["renamed_away"]
__all__.extend(["also_missing"])
__all__.append("gone")

# --- will not match
__all__ += ["imported", "defined", "Klass", "CONSTANT", "maybe", "fallback", "probe"]
__all__ += [name for name in ()]  # computed: not checked
__all__ += [f"{x}" for x in ()]

from os import path as imported

CONSTANT = 1

try:
    import probe
except ImportError:
    probe = None

if CONSTANT:
    maybe = 1
else:
    fallback = 2


def parse(text):
    return text


def defined():
    return parse("")


class Klass:
    pass


class Loader:
    pass
