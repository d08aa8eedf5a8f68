from __future__ import annotations

from collections.abc import Iterable

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._common import noqa
from suggestions.analyze.rules._scope import model, node_at
from suggestions.model import Applicability

_UNDERSCORE = frozenset({"_"})
_GETTEXT = _UNDERSCORE | {"gettext", "ngettext", "pgettext", "npgettext"}


class UndefinedName(Rule):
    """Undefined name.

    What it does:
        Flags a name that is read but bound nowhere it could come from: not in the scope
        that reads it, not in an enclosing function, not at module level, not a builtin.
        The scope model follows Python's rules: a class body's names are invisible from
        its methods and comprehensions (``self.`` is missing), comprehensions and lambdas
        are scopes of their own, ``global``/``nonlocal``, imports (``import a.b`` binds
        ``a``), ``del``, ``except ... as``, ``with ... as``, walrus, match captures and
        3.12 type parameters all count. A name bound in any branch (``if``, ``try/except
        ImportError``, ``if TYPE_CHECKING:``) counts as defined: there is no flow analysis.

    Why is this bad?
        Reading the name raises ``NameError`` at run time: a typo, a missing import, a
        forgotten ``self.``, or a variable of another function. The code path is broken
        even if no test reaches it yet.

    Example:
        ```python bad
        import os


        def config_path(name):
            return os.path.join(CONFIG_DIR, name)
        ```
        ```python good
        import os

        CONFIG_DIR = "/etc/app"


        def config_path(name):
            return os.path.join(CONFIG_DIR, name)
        ```

    Fix safety:
        No automatic fix: the right import or spelling is the author's to choose. Nothing
        is reported in a module with ``from m import *`` (its names are unknown), a module
        that defines ``__getattr__`` or touches ``globals()`` or calls ``exec`` at module
        level, a scope that calls ``locals()``/``vars()``/``exec``/``eval``, a file with
        syntax errors, or a read inside a ``try`` whose handler catches ``NameError``. Names
        inside string annotations are not checked, and neither is ``_`` (the translation
        function ``gettext.install()`` puts into builtins; ``ngettext``/``pgettext`` too in a
        file that calls ``.install(``).
    """

    code = "KZ117"
    name = "Undefined name"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.9
    severity = 0.9

    def check(self, ctx: Context) -> Iterable[Finding]:
        m = model(ctx)
        if not m.valid or m.star_import:
            return
        # ``_`` is what gettext.install() (or a program) puts into builtins for translations;
        # the other gettext names only when this file installs them itself.
        installed = _GETTEXT if b".install(" in ctx.source else _UNDERSCORE
        for scope in m.scopes:
            if scope.dynamic or not scope.loads:
                continue
            for name, starts in scope.loads.items():
                if m.dynamic_module or m.resolve(scope, name) is not None or name in installed:
                    continue
                for start in starts:
                    node = node_at(ctx, start, name)
                    if node is None or noqa(ctx, node, "F821"):
                        continue
                    yield Finding(node, f"Undefined name `{name}`", evidence={"name": name})
