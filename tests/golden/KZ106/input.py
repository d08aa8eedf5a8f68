# --- will match
assert (count > 0, "count must be positive")
assert (a, b, c)
assert (ready,)

# --- will not match
assert count > 0, "count must be positive"
assert (count > 0)
assert ()
assert (a or b), "message"
