# --- will match
if mode is "fast":
    pass
if count is not 0:
    pass
if delta is -1:
    pass
if pair is ():
    pass
if name is "a" "b":
    pass

# --- will not match
if mode == "fast":
    pass
if value is None:
    pass
if flag is True:
    pass
if delta is -limit:
    pass
if obj is other:
    pass
