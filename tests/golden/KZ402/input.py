# --- will match
def show(names):
    for i in range(len(names)):
        print(i, names[i])


def scale(self):
    for i in range(len(self.values)):
        total = self.values[i] * 2
        print(total)


def swap(items):
    for i in range(len(items)):
        items[i] = items[i] + 1


# --- will not match
def count(names):
    for i in range(len(names)):
        print(i)


def pairs(names, other):
    for i in range(len(names)):
        print(other[i])


def steps(names):
    for i in range(1, len(names)):
        print(names[i])
