"""Text from the model or the server, made safe to store and show."""

from __future__ import annotations

import re

__all__ = ["clean_text", "unsafe_char"]

# Terminal and display controls: ESC and the rest of C0 (tab and newline aside), DEL, C1, and
# the bidirectional overrides and isolates that make text read differently than it is.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# In code: the same, but carriage return and form feed are ordinary.
_CODE_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str) -> str:
    """Model or server text for display (titles, rationales, notes) without control characters."""
    return _CONTROLS.sub("", text)


def unsafe_char(code: str, already: str = "") -> str | None:
    """The first control or bidi-override character in code a reply writes (and that is not
    in ``already``, the text it replaces), as ``U+XXXX``."""
    for m in _CODE_CONTROLS.finditer(code):
        if m.group(0) not in already:
            return f"U+{ord(m.group(0)):04X}"
    return None
