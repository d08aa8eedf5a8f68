from support.summary import mean_response_time


def test_mean_keeps_fractions_of_an_hour():
    tickets = [
        {"opened_at": 0, "answered_at": 3},
        {"opened_at": 1, "answered_at": 3},
        {"opened_at": 2, "answered_at": None},
    ]
    mean = mean_response_time(tickets)
    assert mean == 2.5, f"answers after 3 h and 2 h average 2.5 h, got {mean}"


def test_no_answered_ticket():
    assert mean_response_time([{"opened_at": 4, "answered_at": None}]) == 0.0


def test_single_ticket():
    assert mean_response_time([{"opened_at": 10, "answered_at": 14}]) == 4
