# --- will match
snapshot = [job for job in queue]
unique = {tag for tag in tags}
keys = [k for k in mapping.keys()]

# --- will not match
doubled = [job * 2 for job in queue]
evens = [n for n in numbers if n % 2 == 0]
pairs = [(a, b) for a in xs for b in ys]
lazy = (x for x in items)
nested = [x for y in grid for x in y]
