# --- will match
if value == None:
    pass
if None != value:
    pass
result = [x for x in items if x.parent == None]
same = None == None

# --- will not match
if value is None:
    pass
if value is not None:
    pass
if value == "None":
    pass
if none == 0:
    pass
if value == None:  # noqa: E711
    pass
