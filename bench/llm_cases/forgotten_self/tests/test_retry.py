from transport.retry import RetryPolicy


def test_attempts_can_be_configured():
    policy = RetryPolicy(attempts=5)
    assert policy.attempts == 5, f"RetryPolicy(attempts=5).attempts is {policy.attempts}"
    assert policy.delays() == [0.5, 1.0, 2.0, 4.0]


def test_default_policy():
    assert RetryPolicy().delays() == [0.5, 1.0]


def test_base_delay_can_be_configured():
    assert RetryPolicy(base_delay=2).delays() == [2, 4]
