# --- will match
if len(items) == 0:
    pass
while len(queue) != 0:
    queue.pop()
if not len(names) > 0:
    pass
total = [x for x in rows if len(x) > 0]
label = "empty" if len(a or b) == 0 else "full"

# --- will not match
size = len(items) == 0
if len(items) == 1:
    pass
if len(items) > 1:
    pass
if len(*parts) == 0:
    pass
if count(items) == 0:
    pass
