from search.tokens import tokenize


def test_any_whitespace_separates_words():
    words = tokenize("Hello,\tworld\nagain")
    assert words == ["hello", "world", "again"], (
        f"tabs and newlines should separate words by default, got {words}"
    )


def test_punctuation_is_dropped():
    assert tokenize("Red, green;  blue!") == ["red", "green", "blue"]


def test_explicit_separator():
    assert tokenize("a|B|c", sep="|", lowercase=False) == ["a", "B", "c"]
