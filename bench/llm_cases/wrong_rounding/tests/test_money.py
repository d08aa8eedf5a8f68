import pytest

from billing.money import to_cents


def test_prices_that_are_inexact_in_binary():
    for amount, cents in [(19.99, 1999), ("0.29", 29), (1.15, 115)]:
        result = to_cents(amount)
        assert result == cents, f"to_cents({amount!r}) should be {cents}, got {result}"


def test_round_amounts():
    assert to_cents(5) == 500
    assert to_cents("12.50") == 1250


def test_negative_price():
    with pytest.raises(ValueError):
        to_cents(-1)
