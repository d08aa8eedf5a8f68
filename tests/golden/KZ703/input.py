# --- will match
def scan(rows):
    for row in rows:
        if row:
            for cell in row:
                if cell:
                    while cell.busy:
                        cell.wait()


# --- will not match
def flat(rows):
    for row in rows:
        if not row:
            continue
        for cell in row:
            if cell.busy:
                cell.wait()


def chain(x):
    if x == 1:
        return 1
    elif x == 2:
        return 2
    elif x == 3:
        if x:
            return 3
    return 0
