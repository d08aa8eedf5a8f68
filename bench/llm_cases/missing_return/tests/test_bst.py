from structures.bst import insert, lookup


def build(pairs):
    root = None
    for key, value in pairs:
        root = insert(root, key, value)
    return root


def test_every_inserted_key_is_found():
    root = build([("m", 1), ("c", 2), ("x", 3), ("a", 4), ("e", 5)])
    found = {key: lookup(root, key) for key in "mcxae"}
    assert found == {"m": 1, "c": 2, "x": 3, "a": 4, "e": 5}, f"lookup lost some keys: {found}"


def test_root_and_right_side_are_found():
    root = build([("m", 1), ("x", 3), ("z", 9)])
    assert lookup(root, "m") == 1
    assert lookup(root, "z") == 9


def test_missing_key_gives_the_default():
    assert lookup(build([("m", 1)]), "q", default="none") == "none"
    assert lookup(None, "q") is None
