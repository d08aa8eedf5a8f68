"""Request options, completed with the client's defaults."""

DEFAULTS = {"timeout": 30, "retries": 3, "verify_tls": True}


def with_defaults(options: dict, defaults: dict = DEFAULTS) -> dict:
    """Return ``options`` completed with ``defaults`` for the keys it lacks.

    Neither argument is modified: callers reuse their option dicts for
    several requests.
    """
    merged = options
    for key, value in defaults.items():
        merged.setdefault(key, value)
    return merged
