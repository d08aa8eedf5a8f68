"""Text that is safe to print: no terminal escapes from file names, LLM replies or messages.

A file named ``"\\x1b]0;pwned\\x07.py"`` or an LLM title holding ``"\\x1b[2J"`` must not drive the
user's terminal (retitle it, clear it, hide text, forge a hyperlink). :func:`printable`
replaces every control character except tab and newline (C0, DEL, C1 such as the 8-bit CSI
``\\x9b``) and the Unicode bidirectional and invisible-format controls (the "Trojan Source"
reordering) by a visible ``\\uXXXX`` escape. That spelling is also a valid escape inside a JSON
string, so JSON output passed through it stays valid and decodes to the very same text.

``main.py`` wraps ``sys.stdout`` and ``sys.stderr`` in :class:`SafeStream` for every command,
so nothing printed bypasses it.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["SafeStream", "printable"]

# C0 but tab and newline; DEL; C1; bidi embeddings/overrides/isolates; zero-width and other
# invisible format characters that can hide or reorder what is shown.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def printable(text: str) -> str:
    """``text`` with every terminal control made visible (``"\\x1b"`` becomes ``\\u001b``).

    A carriage return right before a newline (CRLF text) or at the very start (a progress
    line redrawn in place) is kept; anywhere else it could hide what precedes it.
    """
    if not _UNSAFE.search(text):
        return text
    head = "\r" if text.startswith("\r") else ""
    body = text[len(head):].replace("\r\n", "\n")
    return head + _UNSAFE.sub(_escape, body)


class SafeStream:
    """A text stream that passes everything written through :func:`printable`."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(printable(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._inner.flush()

    @property
    def inner(self) -> TextIO:
        return self._inner

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, ...
        return getattr(self._inner, name)
