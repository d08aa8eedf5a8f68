"""Reading the port setting from the environment."""

DEFAULT_PORT = 8080


def parse_port(value: str | None, default: int = DEFAULT_PORT) -> int:
    """Return the TCP port in ``value``, or ``default`` when it is unset or not a number.

    A number outside 1-65535 is an error rather than something to paper over.
    """
    if value is None or not value.strip():
        return default
    try:
        port = int(value)
    except TypeError:
        return default
    if not 1 <= port <= 65535:
        raise ValueError(f"port out of range: {port}")
    return port
