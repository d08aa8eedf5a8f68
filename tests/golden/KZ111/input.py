# --- will match
if type(value) == dict:
    pass
if type(value) != str and value:
    pass
ok = type(node) == ast.Name
flags = [type(x) == int for x in items]

# --- will not match
if isinstance(value, dict):
    pass
if type(value) is dict:
    pass
if type(a) == type(b):
    pass
if type(value) == None:
    pass
if kind(value) == dict:
    pass
