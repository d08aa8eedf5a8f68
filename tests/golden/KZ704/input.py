# --- will match
def grade(s):
    if s > 95: return "0"
    if s > 90: return "1"
    if s > 85: return "2"
    if s > 80: return "3"
    if s > 75: return "4"
    if s > 70: return "5"
    if s > 65: return "6"
    if s > 60: return "7"
    if s > 55: return "8"
    if s > 50: return "9"
    if s > 45: return "10"
    if s > 40: return "11"
    return "G"


def conditions(a, b, c, d, e, f, g):
    return (a and b) or (c and d) or (e and f) or g if a else [x for x in b if x and c or d or e or f]


# --- will not match
def simple(s):
    if s > 50:
        return "pass"
    return "fail"
