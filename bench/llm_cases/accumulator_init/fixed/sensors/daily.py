"""Daily figures from a thermometer's readings."""


def daily_range(readings: list[float]) -> tuple[float, float]:
    """Return the (lowest, highest) temperature among a day's readings.

    Raises ValueError when there are no readings.
    """
    if not readings:
        raise ValueError("no readings")
    lowest = float("inf")
    highest = float("-inf")
    for value in readings:
        if value < lowest:
            lowest = value
        if value > highest:
            highest = value
    return lowest, highest
