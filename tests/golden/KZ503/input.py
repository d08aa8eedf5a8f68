# --- will match
line = "{} {}".format(n, unit)
padded = "{:>10}|{!r}".format(name, self.value)
swapped = "{1} then {0}".format(first, second)

# --- will not match
keyword = "{name}".format(name=name)
indexed = "{0[1]}".format(pair)
unused = "{}".format(a, b)
call = "{}".format(compute())
escaped = "\t{}".format(a)
nested = "{:{w}}".format(a, w=3)
