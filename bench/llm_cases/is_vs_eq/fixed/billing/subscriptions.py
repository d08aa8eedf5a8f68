"""Subscription figures from the billing export."""

ACTIVE = "active"


def count_active(csv_lines: list[str]) -> int:
    """Count the subscriptions whose status is "active" (in any case).

    Each line is ``customer_id,plan,status``; the header line and blank
    lines are skipped.
    """
    count = 0
    for line in csv_lines:
        line = line.strip()
        if not line or line.startswith("customer_id,"):
            continue
        _customer, _plan, status = line.split(",")
        if status.strip().lower() == ACTIVE:
            count += 1
    return count
