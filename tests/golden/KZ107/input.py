# --- will match
COLORS = {"red": 1, "green": 2, "red": 3}
SIZES = {"s": 1, "m": 2, "s": 1}
MIXED = {'a': 1, "a": 1, 10: "x", 10: "x"}
CALLS = {"k": make(), "k": make()}

# --- will not match
UNIQUE = {"red": 1, "green": 2}
CASE = {"a": 1, "A": 2}
COMPUTED = {key(): 1, key(): 2}
BYTES = {b"a": 1, "a": 2}
NUMS = {1: "a", 2: "b"}
