from geo.postcodes import is_us_zip


def test_trailing_characters_are_rejected():
    for code in ["123456", "12345-67", "02139 MA"]:
        assert not is_us_zip(code), f"{code!r} is not a ZIP code, but is_us_zip accepted it"


def test_valid_codes():
    assert is_us_zip("02139")
    assert is_us_zip(" 02139-4307 ")


def test_letters_are_rejected():
    assert not is_us_zip("ABCDE")
