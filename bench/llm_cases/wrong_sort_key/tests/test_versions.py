from releases.versions import latest_version


def test_versions_compare_numerically():
    latest = latest_version(["v1.9.3", "v1.10.0", "v1.2.11", "nightly"])
    assert latest == "1.10.0", f"1.10.0 is the newest release, got {latest!r}"


def test_single_digit_versions():
    assert latest_version(["v0.1", "v0.3", "v0.2"]) == "0.3"


def test_no_versions():
    assert latest_version(["main", "nightly"]) is None
