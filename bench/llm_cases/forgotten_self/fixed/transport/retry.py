"""Retry policy for calls to the payment gateway."""


class RetryPolicy:
    """How often, and after how long, a failed call is tried again."""

    attempts = 3
    base_delay = 0.5

    def __init__(self, attempts: int | None = None, base_delay: float | None = None) -> None:
        if attempts is not None:
            self.attempts = attempts
        if base_delay is not None:
            self.base_delay = base_delay

    def delays(self) -> list[float]:
        """Return the wait before each retry: base_delay, doubled every time."""
        return [self.base_delay * 2**n for n in range(self.attempts - 1)]
