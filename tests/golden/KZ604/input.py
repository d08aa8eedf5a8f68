# --- will match
count = len(items);
total = 0 ;  # running total


def work():
    value = compute();
    return value

# --- will not match
a = 1; b = 2
text = "a;b"
