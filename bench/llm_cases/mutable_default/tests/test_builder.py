from notes.builder import add_note


def test_each_call_without_a_list_starts_fresh():
    first = add_note("paid by card")
    second = add_note("ship to office")
    assert second == ["ship to office"], f"notes leaked between calls: {second}"
    assert first == ["paid by card"], f"the first call's list was changed to {first}"


def test_appends_to_a_given_list():
    notes = ["a"]
    assert add_note(" b ", notes) == ["a", "b"]
    assert notes == ["a", "b"]


def test_blank_text_is_ignored():
    assert add_note("   ", ["x"]) == ["x"]
