from accounts.validation import validate_username


def test_empty_name_is_rejected():
    problems = validate_username("")
    assert problems == ["must be 1 to 32 characters long"], (
        f"an empty username should fail the length check, got {problems}"
    )


def test_long_name_is_rejected():
    problems = validate_username("a" * 40)
    assert problems == ["must be 1 to 32 characters long"], (
        f"a 40-character username should fail the length check, got {problems}"
    )


def test_good_name_has_no_problems():
    assert validate_username("alice_01") == []


def test_bad_characters_are_reported():
    assert validate_username("Alice!") == [
        "may only contain lowercase letters, digits, '_', '.' and '-'"
    ]
