"""The shape of the code: module length, function length and complexity, against limits.

Usage: ``python bench/code_shape.py [ROOT] [--all]``. Prints every module under
``suggestions/`` and ``ui/`` that is over a limit (``--all``: every module) and every
function over a limit, and exits 1 when any limit is exceeded. ``analysis/collector/``
is exempt (the collector is stdlib-only and runs inside the traced program), and
``analysis/`` is reported but not held to the limits.

What it counts (AST only, nothing is imported):

* lines per module: physical lines of the file (``wc -l``);
* lines per function: ``end_lineno - lineno + 1`` of the ``def``, decorators left
  out, nested functions included in their parent's span (and measured on their own);
* McCabe cyclomatic complexity per function: 1, plus one for each ``if``/``elif``,
  conditional expression, ``for``/``async for``, ``while``, ``except`` handler,
  ``with`` is not counted, each extra operand of a boolean operator (``a and b or c``
  counts 2), each ``if`` of a comprehension and each comprehension ``for``, each
  ``case`` of a ``match`` and each ``assert``. The ``else`` of a loop or ``try`` is
  not a branch. Nested functions and classes are not counted in their parent.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_MODULE_LINES = 700
MAX_FUNCTION_LINES = 80
MAX_COMPLEXITY = 25
CHECKED = ("suggestions", "ui")
REPORTED = ("analysis",)
EXEMPT = ("analysis/collector",)


@dataclass(frozen=True)
class Function:
    """One function's measurements."""

    module: str
    name: str
    line: int
    lines: int
    complexity: int


_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.Assert,
             ast.match_case)


def complexity(func: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """McCabe complexity of one function's own body (see the module docstring)."""
    score = 1
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, _BRANCHES):
            score += 1
        elif isinstance(node, ast.BoolOp):
            score += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            score += 1 + len(node.ifs)
        stack.extend(ast.iter_child_nodes(node))
    return score


def functions(path: Path, module: str) -> list[Function]:
    """Every function and method in one file, nested ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = node.end_lineno or node.lineno
            found.append(
                Function(module, node.name, node.lineno, end - node.lineno + 1, complexity(node))
            )
    return found


def modules(root: Path, packages: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(relative name, path) of every Python file in the packages, exempt ones left out."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if any(rel.startswith(e + "/") for e in EXEMPT):
                continue
            found.append((rel, path))
    return found


def main(argv: list[str]) -> int:
    show_all = "--all" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    over = 0
    print(f"limits: module {MAX_MODULE_LINES} lines, function {MAX_FUNCTION_LINES} lines, "
          f"complexity {MAX_COMPLEXITY}")
    print(f"{'module':<52}{'lines':>7}")
    for packages, checked in ((CHECKED, True), (REPORTED, False)):
        for rel, path in modules(root, packages):
            n = len(path.read_text(encoding="utf-8").splitlines())
            bad = n > MAX_MODULE_LINES
            if bad or show_all:
                flag = ("  OVER" if checked else "  (not held)") if bad else ""
                print(f"{rel:<52}{n:>7}{flag}")
            over += bad and checked
    print()
    print(f"{'function':<72}{'lines':>7}{'cc':>5}")
    for packages, checked in ((CHECKED, True), (REPORTED, False)):
        for rel, path in modules(root, packages):
            for f in functions(path, rel):
                bad = f.lines > MAX_FUNCTION_LINES or f.complexity > MAX_COMPLEXITY
                if bad:
                    flag = "  OVER" if checked else "  (not held)"
                    where = f"{rel}:{f.line} {f.name}"
                    print(f"{where:<72}{f.lines:>7}{f.complexity:>5}{flag}")
                    over += checked
    print()
    print(f"{over} over the limits" if over else "every module and function within the limits")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
