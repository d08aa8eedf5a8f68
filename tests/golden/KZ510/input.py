# --- will match
import select
import socket

try:
    data = read()
except IOError:
    data = None
except (EnvironmentError, socket.error):
    data = None
except select.error as exc:
    raise RuntimeError(exc)

# --- will not match
try:
    data = read()
except OSError:
    data = None
except errors.IOError:
    data = None
report(IOError=1)
