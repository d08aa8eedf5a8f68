from settings.merge import with_defaults


def test_missing_keys_come_from_the_defaults():
    result = with_defaults({"timeout": 5})
    assert result == {"timeout": 5, "retries": 3, "verify_tls": True}


def test_the_callers_dict_is_left_alone():
    options = {"timeout": 5}
    with_defaults(options)
    assert options == {"timeout": 5}, f"with_defaults modified the caller's dict: {options}"


def test_custom_defaults():
    assert with_defaults({}, {"retries": 0}) == {"retries": 0}
