from compression.rle import run_length_decode, run_length_encode


def test_last_run_is_kept():
    runs = run_length_encode("aaab")
    assert runs == [("a", 3), ("b", 1)], f"expected [('a', 3), ('b', 1)], got {runs}"


def test_round_trip():
    for text in ["ab", "wwwwbbbw", "x", "abcabc"]:
        decoded = run_length_decode(run_length_encode(text))
        assert decoded == text, f"{text!r} came back as {decoded!r}"


def test_empty_and_single_run():
    assert run_length_encode("") == []
    assert run_length_encode("zzzz") == [("z", 4)]


def test_decode():
    assert run_length_decode([("a", 2), ("b", 3)]) == "aabbb"
