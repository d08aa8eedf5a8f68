# --- will match
with open(path, "rU") as f:
    data = f.read()
lines = open(path, mode='U').readlines()
raw = open(path, "rbU")

# --- will not match
text = open(path, "r")
plain = open(path)
label = "UPPER"
