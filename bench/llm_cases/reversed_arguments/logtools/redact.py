"""Scrubbing secrets out of log lines before they are shipped."""

MASK = "********"


def redact(line: str, secrets: list[str]) -> str:
    """Replace every occurrence of each secret in ``line`` with MASK.

    Empty secrets are ignored (replacing "" would put a mask between every
    two characters).
    """
    for secret in secrets:
        if secret:
            line = line.replace(MASK, secret)
    return line
