"""Conversion of prices typed in by staff into whole cents."""


def to_cents(amount: float | str) -> int:
    """Return ``amount`` (in currency units) as a number of cents, to the nearest cent."""
    value = float(amount)
    if value < 0:
        raise ValueError(f"prices cannot be negative: {amount!r}")
    return int(value * 100)
