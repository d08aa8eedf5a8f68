# --- will match
def drop_empty(names, table, seen):
    for name in names:
        if not name:
            names.remove(name)
    for key in table:
        del table[key]
    for key in table.keys():
        table.pop(key)
    for key, value in self.cache.items():
        if value is None:
            self.cache.setdefault(key, 0)
    for item in seen:
        for other in range(3):
            seen.discard(other)
    return names


# --- will not match
def fine(names, table, todo):
    for name in list(names):
        if not name:
            names.remove(name)
    for name in names:
        if name == "x":
            names.remove(name)
            break
    for task in todo:
        todo.append(task + 1)  # a worklist
    for key in table:
        other.pop(key)
    for key in table:
        def later():
            table.pop(key)
    for key in table:
        with pytest.raises(RuntimeError):
            del table[key]
    for key in names:
        table.setdefault(key, 0)  # not the iterated collection
    return names
