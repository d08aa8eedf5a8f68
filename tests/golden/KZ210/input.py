# --- will match
ok = all([check(x) for x in items])
found = any([
    item.ready
    for item in items
])

# --- will not match
ok = all(check(x) for x in items)
total = sum([x for x in items])
flags = any(flags_list)
both = all([a, b])
