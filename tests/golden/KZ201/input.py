# --- will match
for word in words:
    if word in ["a", "an", "the", "of"]:
        continue

if mode not in ["fast", "slow"]:
    pass

if code in [
    200,  # ok
    204,
]:
    pass

# --- will not match
if word in {"a", "an"}:
    pass
if word in ("a", "an"):
    pass
if word in [prefix, suffix]:
    pass
if word in ["only"]:
    pass
if word in []:
    pass
