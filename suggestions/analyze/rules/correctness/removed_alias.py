from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.model import Applicability

# unittest.TestCase aliases removed in Python 3.12 (deprecated since 3.2 or earlier).
_UNITTEST = {
    "assertEquals": "assertEqual",
    "assertNotEquals": "assertNotEqual",
    "assertAlmostEquals": "assertAlmostEqual",
    "assertNotAlmostEquals": "assertNotAlmostEqual",
    "assert_": "assertTrue",
    "failUnless": "assertTrue",
    "failIf": "assertFalse",
    "failUnlessEqual": "assertEqual",
    "failIfEqual": "assertNotEqual",
    "failUnlessAlmostEqual": "assertAlmostEqual",
    "failIfAlmostEqual": "assertNotAlmostEqual",
    "failUnlessRaises": "assertRaises",
    "assertRegexpMatches": "assertRegex",
    "assertNotRegexpMatches": "assertNotRegex",
    "assertRaisesRegexp": "assertRaisesRegex",
}
# Logger-like names whose ``.warn`` may be logging's (``Logger.warn``: deprecated since 3.3, emits
# DeprecationWarning, still present in 3.13).
_LOGGERS = frozenset(
    {
        "log",
        "logger",
        "_log",
        "_logger",
        "LOG",
        "LOGGER",
        "self.log",
        "self.logger",
        "self._log",
        "self._logger",
    }
)


class RemovedAlias(Rule):
    """Call to a standard-library alias that newer Pythons removed.

    What it does:
        Flags ``self.assertEquals(...)`` and the other ``unittest.TestCase`` aliases
        removed in Python 3.12 (``failUnless``, ``assert_``, ``assertRegexpMatches``...),
        and the deprecated ``logging.warn(...)``/``logger.warn(...)``.

    Why is this bad?
        The unittest aliases were deprecated for a decade and are gone: on Python 3.12+
        the call raises ``AttributeError``, so the test suite fails the day the interpreter
        is upgraded. ``Logger.warn`` emits a ``DeprecationWarning`` on every call and is
        slated for removal.

    Example:
        ```python bad
        class TestParse(unittest.TestCase):
            def test_one(self):
                self.assertEquals(parse("1"), 1)
        ```
        ```python good
        class TestParse(unittest.TestCase):
            def test_one(self):
                self.assertEqual(parse("1"), 1)
        ```

    Fix safety:
        Safe: each alias was the very same function object as its replacement. Only
        ``self.<alias>`` calls, and ``.warn`` on ``logging`` or on a logger-named object
        that the file assigns from ``getLogger(...)``, are rewritten (``distutils.log.warn``
        is not logging); a class defining its own ``assertEquals`` would be the
        exception, and the rule skips files that define one.
    """

    code = "KZ114"
    name = "Removed or deprecated standard-library alias"
    category = Category.CORRECTNESS
    applicability = Applicability.SAFE
    confidence = 0.95
    severity = 0.7
    query = """
    (call function: (attribute object: (_) @obj attribute: (identifier) @method
      (#any-of? @method "assertEquals" "assertNotEquals" "assertAlmostEquals" "assertNotAlmostEquals"
        "assert_" "failUnless" "failIf" "failUnlessEqual" "failIfEqual" "failUnlessAlmostEqual"
        "failIfAlmostEqual" "failUnlessRaises" "assertRegexpMatches" "assertNotRegexpMatches"
        "assertRaisesRegexp" "warn"))) @call
    """

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        obj, method = captures["obj"][0], captures["method"][0]
        name, owner = ctx.text(method), ctx.text(obj)
        if name == "warn":
            if not _is_logger(ctx, owner):
                return
            new, status = "warning", "is deprecated"
        else:
            if owner != "self" or ctx.shared("KZ114.own", _defines_alias):
                return
            new, status = _UNITTEST[name], "was removed in Python 3.12"
        yield Finding(
            method,
            f"`{owner}.{name}` {status}: use `{new}`",
            edits=[ctx.replace(method, new)],
            target=captures["call"][0],
        )


def _defines_alias(ctx: Context) -> bool:
    src = ctx.source
    return any(f"def {alias}(".encode() in src for alias in _UNITTEST)


def _is_logger(ctx: Context, owner: str) -> bool:
    """``logging`` itself, or a logger-named object this file gets from ``getLogger``.

    ``distutils.log.warn`` and friends are not logging: the name alone is not enough.
    """
    src = ctx.source
    if owner == "logging":
        return b"import logging" in src
    if owner not in _LOGGERS:
        return False
    attr = owner.rsplit(".", 1)[-1].encode()
    return (
        re.search(rb"\b" + re.escape(attr) + rb"\s*=\s*(?:logging\.)?getLogger\(", src) is not None
    )
