# --- will match
def same_size(a, b):
    if a.size < a.size:
        return True
    return a > a or b >= b or a[0] <= a[0] or a is a or b is not b


# --- will not match
def fine(a, b, x):
    if a.size == b.size:
        return x != x or x == x  # the NaN test idiom, both ways
    return f() == f() or a < b or a.x is a.y
