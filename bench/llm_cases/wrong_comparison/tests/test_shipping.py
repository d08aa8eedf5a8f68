import pytest

from shop.shipping import shipping_cost


def test_order_at_the_threshold_ships_free():
    cost = shipping_cost(50.00, 2)
    assert cost == 0.0, f"an order of exactly 50.00 should ship free, was charged {cost}"


def test_large_order_ships_free():
    assert shipping_cost(120.00, 35) == 0.0


def test_small_orders_pay_the_flat_rate_and_surcharge():
    assert shipping_cost(20.00, 3) == pytest.approx(4.95)
    assert shipping_cost(20.00, 25) == pytest.approx(12.45)
