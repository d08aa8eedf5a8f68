from grading.ranking import top_student


def test_highest_score_wins():
    winner = top_student({"ana": 91, "ben": 78, "chloe": 85})
    assert winner == "ana", f"ana scored highest (91) but top_student returned {winner!r}"


def test_first_listed_wins_a_tie():
    winner = top_student({"dev": 88, "eli": 88})
    assert winner == "dev", f"on a tie the first listed should win, got {winner!r}"


def test_empty_class():
    assert top_student({}) is None


def test_single_student():
    assert top_student({"zoe": 12}) == "zoe"
