# --- will match
import tempfile
from tempfile import mktemp


def scratch():
    path = tempfile.mktemp(suffix=".txt")
    other = mktemp()
    return path, other

# --- will not match
def safe():
    fd, path = tempfile.mkstemp()
    with tempfile.NamedTemporaryFile() as f:
        return f.name, fd, path
