# --- will match
vowels = set(["a", "e", "i"])
pair = set((1, 2))
single = set((a,))
none = set([])
squares = set([n * n for n in numbers])

# --- will not match
copy = set(items)
empty = set()
gen = set(n for n in numbers)
literal = {1, 2}
