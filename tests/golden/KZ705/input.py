# --- will match
def total_price(order):
    total = 0
    for line in order.lines:
        if line.quantity > 0 and not line.cancelled:
            total += line.quantity * line.unit_price * (1 - line.discount)
            log("added", line.sku, total)
    return round(total, 2)


def total_weight(shipment):
    weight = 0
    for item in shipment.items:
        if item.count > 0 and not item.removed:
            weight += item.count * item.unit_weight * (1 - item.packing)
            log("packed", item.code, weight)
    return round(weight, 2)


# --- will not match
def average(values):
    return sum(values) / len(values) if values else 0.0


def describe(user):
    return f"{user.name} <{user.email}>"
