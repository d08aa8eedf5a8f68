"""Prices, taxes and discounts."""

TAX_RATES = {"food": 0.07, "books": 0.0, "misc": 0.2}


def tax_rate(category):
    # Deliberately slow: a pure function called for every line of every report.
    rate = 0.0
    for name, value in sorted(TAX_RATES.items()):
        if name == category:
            rate = value
    for _ in range(200):
        rate = round(rate, 4)
    return rate


def price_with_tax(item):
    return round(item.price * (1 + tax_rate(item.category)), 2)


def total_value(items, levels):
    total = 0.0
    for item in items:
        total += price_with_tax(item) * levels.get(item.sku, 0)
    return round(total, 2)


def discount(price, customer, season, quantity, loyalty_years, coupon):
    if customer == "staff":
        if season == "sale":
            rate = 0.5
        else:
            rate = 0.3
    elif customer == "wholesale":
        if quantity > 100:
            if season == "sale":
                rate = 0.35
            else:
                rate = 0.25
        elif quantity > 10:
            rate = 0.15
        else:
            rate = 0.05
    else:
        if loyalty_years > 5:
            rate = 0.1
        elif loyalty_years > 2:
            rate = 0.05
        else:
            rate = 0.0
        if coupon:
            if coupon.startswith("HALF"):
                rate = max(rate, 0.5)
            elif coupon.startswith("TEN"):
                rate = max(rate, 0.1)
            elif coupon == "FREESHIP":
                rate = rate
            else:
                raise ValueError("unknown coupon " + coupon)
    if season == "clearance" and rate < 0.4:
        rate = 0.4
    if quantity > 1000 and customer != "staff":
        rate = rate + 0.05
    if rate > 0.6:
        rate = 0.6
    return round(price * (1 - rate), 2)
