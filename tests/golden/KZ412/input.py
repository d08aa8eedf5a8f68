# --- will match
with open(path, "r") as f:
    data = f.read()
text = open(path, 'rt').read()
handle = open(path, mode="r")
encoded = open(path, "r", encoding="utf-8")

# --- will not match
binary = open(path, "rb")
writer = open(path, "w")
buffered = open(path, "r", 1)
plain = open(path)
