from themes.colors import is_hex_color


def test_non_hex_digits_are_rejected():
    for value in ["#ggg", "#12345z", "#zzzzzz"]:
        assert not is_hex_color(value), (
            f"{value!r} is not a hex colour, but is_hex_color said it is"
        )


def test_valid_colours():
    assert is_hex_color("#fff")
    assert is_hex_color("#1A2b3C")


def test_wrong_length_or_no_hash():
    assert not is_hex_color("#12")
    assert not is_hex_color("ffffff")
