# --- will match
import io

with io.open(path, encoding="utf-8") as f:
    data = f.read()
handle = io.open(path, "rb")

# --- will not match
buffer = io.BytesIO()
text = open(path)
other.io.open(path)
