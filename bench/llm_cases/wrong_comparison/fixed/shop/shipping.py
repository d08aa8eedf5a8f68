"""Shipping charges for the checkout page."""

FREE_SHIPPING_THRESHOLD = 50.00
FLAT_RATE = 4.95
HEAVY_SURCHARGE = 7.50
HEAVY_KG = 20


def shipping_cost(subtotal: float, weight_kg: float) -> float:
    """Return the shipping charge for an order.

    Orders of FREE_SHIPPING_THRESHOLD or more ship free, whatever their weight;
    other orders pay the flat rate, plus a surcharge above HEAVY_KG.
    """
    if subtotal >= FREE_SHIPPING_THRESHOLD:
        return 0.0
    cost = FLAT_RATE
    if weight_kg > HEAVY_KG:
        cost += HEAVY_SURCHARGE
    return cost
