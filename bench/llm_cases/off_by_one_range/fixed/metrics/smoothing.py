"""Smoothing helpers for the dashboard's time series."""


def moving_average(values: list[float], window: int) -> list[float]:
    """Return the simple moving averages of ``values`` over ``window`` points.

    A series of n points yields n - window + 1 averages; the first one covers
    ``values[0:window]``.  A window longer than the series yields nothing.
    """
    if window <= 0:
        raise ValueError("window must be positive")
    averages = []
    for start in range(len(values) - window + 1):
        chunk = values[start : start + window]
        averages.append(sum(chunk) / window)
    return averages
