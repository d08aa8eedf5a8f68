from games.leaderboard import Entry, leaderboard


def test_highest_scores_come_first():
    entries = [Entry("ana", 120), Entry("ben", 300), Entry("cy", 80), Entry("di", 300)]
    top = [e.player for e in leaderboard(entries, size=3)]
    assert top == ["ben", "di", "ana"], f"expected ben, di, ana (highest first), got {top}"


def test_empty_board():
    assert leaderboard([]) == []


def test_size_zero():
    assert leaderboard([Entry("ana", 1)], size=0) == []
