"""Order totals for the checkout page."""


def cart_total(lines: list[dict], discount: float = 0.0) -> float:
    """Return the order total: the sum of quantity x unit price, less ``discount``.

    ``discount`` is a fraction in [0, 1); the total is rounded to cents.
    """
    if not 0 <= discount < 1:
        raise ValueError(f"discount must be in [0, 1), got {discount}")
    total = 0.0
    for line in lines:
        total += line["quantity"] * line["unit_price"]
    return round(total * (1 - discount), 2)
