"""Validation of colour settings in theme files."""

HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def is_hex_color(value: str) -> bool:
    """Tell whether ``value`` is a CSS hex colour: "#" then 3 or 6 hex digits."""
    if not value.startswith("#"):
        return False
    digits = value[1:]
    for ch in digits:
        if ch not in HEX_DIGITS:
            return False
    return len(digits) in (3, 6)
