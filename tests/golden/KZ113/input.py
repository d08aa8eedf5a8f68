# --- will match
def reset(state):
    state.count == 0
    state.name != "x"


limit <= 10


def test_option_conflict(excinfo):
    excinfo.typename == "ExistingArgument"


class TestParser:
    def helper_check(self, parser):
        parser.count != 2

# --- will not match
def check(state):
    assert state.count == 0
    ok = state.count == 0
    return state.count == 0


value == other and call()
print(a == b)


def test_order(self):
    # Evaluated for what it raises or warns: the context manager checks it.
    with self.assertRaises(TypeError):
        1 < "x"
    with pytest.warns(BytesWarning):
        b"" == ""
