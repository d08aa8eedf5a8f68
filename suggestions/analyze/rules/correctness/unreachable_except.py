from __future__ import annotations

from collections.abc import Iterable

import tree_sitter

from suggestions.analyze.framework import Category, Context, Finding, Rule
from suggestions.analyze.rules._exprs import EXCEPTIONS, handler_classes
from suggestions.analyze.rules._pyfix import rebound
from suggestions.model import Applicability


class UnreachableExcept(Rule):
    """An ``except`` handler for a class that an earlier handler already catches.

    What it does:
        Flags ``except ValueError:`` after ``except Exception:``, ``except
        FileNotFoundError:`` after ``except OSError:`` and every other handler (or class
        in a handler's tuple) that is a subclass of a class caught earlier in the same
        ``try``, for the builtin exception hierarchy (names the file does not rebind).

    Why is this bad?
        Handlers are tried in order and the first match wins, so the later handler never
        runs: the special case it was written for is handled by the general one, usually
        the opposite of what the author wanted.

    Example:
        ```python bad
        def load(path):
            try:
                return open(path).read()
            except OSError:
                return None
            except FileNotFoundError:
                return ""
        ```
        ```python good
        def load(path):
            try:
                return open(path).read()
            except FileNotFoundError:
                return ""
            except OSError:
                return None
        ```

    Fix safety:
        No automatic fix: reordering handlers changes which code runs for the subclass,
        which only the author can confirm.
    """

    code = "KZ137"
    name = "Unreachable except handler"
    category = Category.CORRECTNESS
    applicability = Applicability.DISPLAY_ONLY
    confidence = 0.95
    severity = 0.8
    query = "(try_statement (except_clause) (except_clause)) @try"

    def on_match(
        self, ctx: Context, captures: dict[str, list[tree_sitter.Node]]
    ) -> Iterable[Finding]:
        earlier: list[tuple[str, type[BaseException], int]] = []
        for clause in captures["try"][0].children:
            if clause.type != "except_clause":
                continue
            classes = handler_classes(ctx, clause)
            if classes is None:
                return  # a bare `except:` or a computed class: stop looking
            resolved = [(node, name, _builtin(ctx, name)) for node, name in classes]
            shadowed: list[tuple[tree_sitter.Node, str, str, int]] = []
            for node, name, cls in resolved:
                if cls is None:
                    continue
                for base_name, base, line in earlier:
                    if cls is not base and issubclass(cls, base):
                        shadowed.append((node, name, base_name, line))
                        break
            if shadowed and len(shadowed) == len(resolved):
                node, name, base_name, line = shadowed[0]
                yield Finding(
                    clause.children[0],
                    f"`except {_names(classes)}` is unreachable: `{base_name}` (line {line}) catches it first",
                    end=node if len(classes) == 1 else classes[-1][0],
                    target=clause.children[0] if len(classes) > 1 else node,
                )
            else:
                for node, name, base_name, line in shadowed:
                    yield Finding(
                        node,
                        f"`{name}` is never caught here: `{base_name}` (line {line}) catches it first",
                    )
            line = clause.start_point[0] + 1
            earlier.extend((name, cls, line) for _node, name, cls in resolved if cls is not None)


def _builtin(ctx: Context, name: str) -> type[BaseException] | None:
    cls = EXCEPTIONS.get(name)
    if cls is None or ("." not in name and rebound(ctx, name)):
        return None
    return cls


def _names(classes: list[tuple[tree_sitter.Node, str]]) -> str:
    names = [n for _node, n in classes]
    return names[0] if len(names) == 1 else f"({', '.join(names)})"
