from checker.long_lines import long_lines


def test_line_numbers_start_at_one():
    source = "short\n" + "x" * 90 + "\nok\n" + "y" * 80 + "\n"
    found = long_lines(source)
    assert found == [(2, 90), (4, 80)], f"expected lines 2 and 4 to be reported, got {found}"


def test_nothing_too_long():
    assert long_lines("a = 1\nb = 2\n") == []


def test_custom_limit_with_no_hits():
    assert long_lines("abc\n", limit=3) == []
