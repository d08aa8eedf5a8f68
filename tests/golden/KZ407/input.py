# --- will match
if not key in table:
    pass
missing = not a is b
flags = [x for x in xs if not x in seen]

# --- will not match
if key not in table:
    pass
if not (a == b):
    pass
if not a in b in c:
    pass
ok = a is not b
