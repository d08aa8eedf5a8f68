# --- will match
import random


def ranked(scores, names, extra):
    best = scores.sort(reverse=True)
    self.names = names.append("x")
    rev = names.reverse()
    both = names.extend(extra)
    mixed = random.shuffle(names)
    return scores.sort()


# --- will not match
def fine(scores, names, client, rng):
    best = sorted(scores)
    names.sort()
    typ, data = client.append(None, "msg")  # returns a tuple
    shuffled = rng.shuffle(names)  # not random.shuffle
    total = names.count("x")
    chained = self.append(names)  # a class's own append (pyparsing returns self)
    return best, typ, data, shuffled, total
