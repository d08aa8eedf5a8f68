# --- will match
def bump(counter, items, flag):
    counter + 1
    not flag
    counter and items
    42
    None
    [counter, flag]
    ("header", "value"),
    -counter
    return counter


# --- will not match
def fine(counter, items, obj, pipeline):
    """A docstring."""
    "a string as a comment"
    ...
    obj.attribute  # a property may run code
    items[0]  # a defaultdict creates the key
    flag  # "uses" a name
    counter == 1  # KZ113's
    items.append(counter)
    counter + compute()  # a call
    await_ = (yield counter)
    pipeline | step  # DSL operators
    task_a >> task_b
    1 / 0  # raises on purpose
    try:
        items[5]
    except IndexError:
        pass
    with pytest.raises(KeyError):
        items["missing"]
    counter += 1
    return counter
