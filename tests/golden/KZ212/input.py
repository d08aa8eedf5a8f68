# --- will match
def squares(numbers):
    result = []
    for n in numbers:
        if n > 0:
            result.append(n * n)
    return result


def names(users):
    out = []
    for user in users:
        out.append(user.name)
    return out


def pairs(mapping):
    items = []
    for key, value in mapping.items():
        items.append((key, value))
    return items


def later_use(rows):
    kept = []
    for row in rows:
        kept.append(row)
    return kept, row


def existing(rows, out):
    for row in rows:
        out.append(row.strip())

# --- will not match
def two_statements(rows):
    out = []
    for row in rows:
        print(row)
        out.append(row)
    return out


def with_else(rows):
    out = []
    for row in rows:
        if row:
            out.append(row)
        else:
            out.append(None)
    return out


def extend(rows, out):
    for row in rows:
        out.extend(row)
