"""Postal-code checks for the address form."""

import re

_ZIP = re.compile(r"\d{5}(-\d{4})?")


def is_us_zip(code: str) -> bool:
    """Tell whether ``code`` is a US ZIP code: 5 digits, optionally "-" and 4 more.

    Surrounding whitespace is ignored.
    """
    return _ZIP.fullmatch(code.strip()) is not None
