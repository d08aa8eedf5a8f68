from logtools.redact import redact


def test_secrets_are_masked():
    line = redact("login user=bob token=abc123 retry token=abc123", ["abc123"])
    assert line == "login user=bob token=******** retry token=********", (
        f"the token should be masked everywhere, got {line!r}"
    )


def test_line_without_secrets_is_unchanged():
    assert redact("all good", ["abc123"]) == "all good"


def test_empty_secret_is_ignored():
    assert redact("abc", [""]) == "abc"
