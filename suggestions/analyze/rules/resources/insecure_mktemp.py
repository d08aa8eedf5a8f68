from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability


class InsecureMktemp(Rule):
    """``tempfile.mktemp()`` instead of a securely created temporary file.

    What it does:
        Flags calls to ``tempfile.mktemp`` (and ``mktemp`` imported from ``tempfile``).

    Why is this bad?
        ``mktemp`` only returns a name; between choosing it and creating the file, another
        process can create the same path (or a symlink there), so the program may write
        into an attacker's file. The function has been deprecated since Python 2.3.

    Example:
        ```python bad
        import tempfile

        def scratch():
            path = tempfile.mktemp(suffix=".txt")
            with open(path, "w") as f:
                f.write("data")
        ```
        ```python good
        import tempfile

        def scratch():
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
                f.write("data")
        ```

    Fix safety:
        No automatic fix: ``mkstemp``/``NamedTemporaryFile`` return an open file, so the
        surrounding code must change. Advice only.
    """

    code = "KZ302"
    name = "Insecure temporary file name"
    category = Category.RESOURCES
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.7
    query = """
    (call function: (attribute object: (identifier) @mod attribute: (identifier) @fn)
      (#eq? @mod "tempfile") (#eq? @fn "mktemp")) @call
    (call function: (identifier) @fn (#eq? @fn "mktemp")) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        call = captures["call"][0]
        if "mod" not in captures and not ctx.shared(
            "KZ302.imported",
            lambda c: b"from tempfile import" in c.source and b"mktemp" in c.source,
        ):
            return
        yield Finding(
            call,
            "`mktemp()` returns a name another process can take first: use `mkstemp()` or `NamedTemporaryFile()`",
        )
