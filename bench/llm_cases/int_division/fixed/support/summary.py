"""Summary figures for the support-ticket report."""


def mean_response_time(tickets: list[dict]) -> float:
    """Return the mean number of hours between a ticket's opening and its first answer.

    Times are hours since the start of the reporting period.  Tickets never
    answered (``answered_at`` is None) are left out; with no answered ticket
    the mean is 0.0.
    """
    answered = [t for t in tickets if t["answered_at"] is not None]
    if not answered:
        return 0.0
    total = sum(t["answered_at"] - t["opened_at"] for t in answered)
    return total / len(answered)
