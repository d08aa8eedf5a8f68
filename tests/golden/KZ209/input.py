# --- will match
for word in words:
    try:
        n = counts[word]
    except KeyError:
        n = 0
    counts[word] = n + 1

for key in keys:
    try:
        value = cache[key]
    except KeyError:
        value = None
    use(value)

while pending:
    try:
        item = table[pending.pop()]
    except KeyError:
        continue

# --- will not match
try:
    n = counts[word]
except KeyError:
    n = 0

for word in words:
    try:
        n = counts[word]
    except (KeyError, IndexError):
        n = 0
    try:
        n = counts[word]
    except KeyError:
        n = 0
    finally:
        done()
