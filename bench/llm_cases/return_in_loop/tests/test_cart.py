import pytest

from shop.cart import cart_total


def test_every_line_is_counted():
    lines = [
        {"quantity": 2, "unit_price": 3.50},
        {"quantity": 1, "unit_price": 10.00},
        {"quantity": 4, "unit_price": 0.25},
    ]
    total = cart_total(lines, discount=0.1)
    assert total == 16.2, f"(7.00 + 10.00 + 1.00) less 10% is 16.20, got {total}"


def test_single_line():
    assert cart_total([{"quantity": 3, "unit_price": 2.00}]) == 6.0


def test_bad_discount():
    with pytest.raises(ValueError):
        cart_total([], discount=1.5)
