import pytest

from netconf.ports import parse_port


def test_text_that_is_not_a_number_gives_the_default():
    try:
        port = parse_port("eighty", default=9000)
    except ValueError as exc:
        pytest.fail(f"parse_port('eighty') raised {exc!r} instead of returning the default")
    assert port == 9000


def test_number_and_unset():
    assert parse_port(" 8443 ") == 8443
    assert parse_port(None) == 8080
    assert parse_port("") == 8080


def test_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="out of range"):
        parse_port("70000")
