from forms.rules import invalid_fields, length_validators

LIMITS = {"name": 10, "bio": 200}


def test_each_field_uses_its_own_limit():
    check_name = length_validators(LIMITS)["name"]
    assert not check_name("x" * 50), "a 50-character name passed the 10-character limit"


def test_too_long_fields_are_reported():
    bad = invalid_fields({"name": "x" * 50, "bio": "hello"}, LIMITS)
    assert bad == ["name"], f"only 'name' exceeds its limit, got {bad}"


def test_short_values_pass():
    assert invalid_fields({"name": "Ana", "bio": "hi", "other": "z" * 999}, LIMITS) == []
