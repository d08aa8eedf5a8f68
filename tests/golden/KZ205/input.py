# --- will match
def names(registry):
    return sorted(registry.keys())


counts = {}
keys = list(counts.keys())
frozen = frozenset(config.options.keys())
ordered = sorted(table.keys(), reverse=True)

# --- will not match
class Mapping:
    def __iter__(self):
        return iter(list(self.keys()))


values = list(counts.values())
first = list(counts.keys(1))
direct = list(counts)
