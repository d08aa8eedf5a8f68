# --- will match
def render(rows):
    out = ""
    for row in rows:
        out += str(row)
    return out


def render_lines(rows):
    text = ''
    for index, row in enumerate(rows):
        text += f"{index}: {row}\n"
    return text


def collect(stream):
    data = ""
    while stream.more():
        data += stream.read()
    return data


def separated(rows):
    s = ""
    for r in rows:
        s += r
        s += ","
    return s

# --- will not match
def numbers(rows):
    total = 0
    for row in rows:
        total += row
    return total


def joined(rows):
    return "".join(str(r) for r in rows)


def prefixed(rows):
    out = "x"
    out = compute(out)
    for row in rows:
        pass
    return out
