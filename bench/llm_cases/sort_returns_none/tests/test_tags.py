from crm.tags import format_tags, unique_tags


def test_tags_are_cleaned_and_sorted():
    tags = unique_tags("Vip, lead ,vip,, partner")
    assert tags == ["lead", "partner", "vip"], f"expected ['lead', 'partner', 'vip'], got {tags!r}"


def test_format_tags():
    assert format_tags(["lead", "vip"]) == "#lead #vip"


def test_format_no_tags():
    assert format_tags([]) == ""
