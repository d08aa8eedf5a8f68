"""What the LLM is asked to improve: targets from traces, failures and findings.

Each kind of target is a rule declared (and documented) in ``suggestions/analyze/rules/llm/``;
a suggestion for it takes its code, category, applicability and confidence from there.

The trace store's records are read through small adapters (attribute or key access, a few
field names each) so the engine tolerates both objects and plain dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from analysis.inventory import read_source
from analysis.languages import LANGUAGES, language_for_path
from analysis.parsing import parse
from suggestions.analyze.framework import Rule
from suggestions.analyze.rules.llm.faster_hotspot import FasterHotspot
from suggestions.analyze.rules.llm.fix_exception import FixException
from suggestions.analyze.rules.llm.fix_failing_test import FixFailingTest
from suggestions.analyze.rules.llm.refactor_finding import RefactorFinding

__all__ = [
    "KINDS",
    "Target",
    "enclosing_function",
    "failure_target",
    "frames_of",
    "is_test_file",
]

# kind → (the rule it is a suggestion of, words for the title)
KINDS: dict[str, tuple[type[Rule], str]] = {
    "failure": (FixFailingTest, "Fix for failing"),
    "exception": (FixException, "Fix for repeated exception in"),
    "hotspot": (FasterHotspot, "Faster"),
    "finding": (RefactorFinding, "Refactoring of"),
}


@dataclass(frozen=True)
class Target:
    """A piece of code the LLM is asked to improve, and why."""

    kind: str  # failure | exception | hotspot | finding
    path: str  # project-relative POSIX path of the main code
    start_line: int  # 1-based, inclusive
    end_line: int
    title: str = ""
    name: str = ""  # the function's name, when known
    paths: tuple[str, ...] = ()  # files an edit may touch (default: path)
    related: tuple[tuple[str, int, int], ...] = ()  # other code to show: (path, start, end)
    evidence: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.path}:{self.start_line}-{self.end_line}"

    @property
    def editable(self) -> tuple[str, ...]:
        return self.paths or (self.path,)

    @property
    def rule(self) -> type[Rule]:
        """The rule whose suggestion a reply for this target is."""
        return KINDS[self.kind][0]

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def category(self) -> str:
        return self.rule.category.value

    @classmethod
    def for_function(cls, root: Path, kind: str, path: str, line: int, *, name: str = "",
                     evidence: Mapping[str, Any] | None = None, title: str = "") -> Target:
        """The function around ``line`` of ``path`` (or that line alone when none)."""
        found = enclosing_function(root, path, line)
        start, end, fname = found if found else (line, line, "")
        name = name or fname
        words = KINDS[kind][1]
        return cls(kind, path, start, end, title or f"{words} `{name or f'{path}:{line}'}`",
                   name=name, evidence=dict(evidence or {}))


def enclosing_function(root: Path, path: str, line: int) -> tuple[int, int, str] | None:
    """(start_line, end_line, name) of the innermost function containing ``line``."""
    language = language_for_path(path)
    if language is None or language not in LANGUAGES:
        return None
    try:
        data = read_source(Path(root) / path).data
    except ValueError:
        return None
    tree = parse(language, data)
    kinds = set(LANGUAGES[language].function_nodes)
    row = line - 1
    best = None
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.start_point[0] > row or node.end_point[0] < row:
            continue
        if node.type in kinds:
            best = node  # deeper matches come later in the walk and win
        stack.extend(node.children)
    if best is None:
        return None
    # Include decorators in Python so the whole definition is shown and replaced.
    node = best
    if node.parent is not None and node.parent.type == "decorated_definition":
        node = node.parent
    name_node = best.child_by_field_name("name")
    name = name_node.text.decode("utf-8", "replace") if name_node is not None and name_node.text else ""
    return node.start_point[0] + 1, node.end_point[0] + 1, name


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    for n in names:
        if isinstance(obj, Mapping):
            if n in obj and obj[n] is not None:
                return obj[n]
        else:
            v = getattr(obj, n, None)
            if v is not None:
                return v
    return default


_TEST_NAME = re.compile(r"(^test_.*|.*_test|.*\.(test|spec))\.[A-Za-z]+$")


def is_test_file(path: str) -> bool:
    p = PurePosixPath(path)
    if _TEST_NAME.match(p.name) or p.name == "conftest.py":
        return True
    return any(part in ("tests", "test", "__tests__", "testing") for part in p.parts[:-1])


_PY_FRAME = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[^\s]+))?')
_PYTEST_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]*\.[A-Za-z]+):(?P<line>\d+):(?: in (?P<func>\S+))?", re.M)


def frames_of(record: Any, root: Path) -> list[tuple[str, int, str]]:
    """Project frames (path, line, function) of a failure/exception record, outermost first."""
    frames: list[tuple[str, int, str]] = []
    raw = _get(record, "frames", "stack")
    if isinstance(raw, Iterable) and not isinstance(raw, str | bytes):
        for f in raw:
            if isinstance(f, list | tuple) and len(f) >= 2:
                path, line = str(f[0]), int(f[1])
                func = str(f[2]) if len(f) > 2 else ""
            else:
                path = str(_get(f, "path", "file", "filename", default=""))
                line = int(_get(f, "line", "lineno", default=0) or 0)
                func = str(_get(f, "function", "func", "name", default=""))
            frames.append((path, line, func))
    tb = _get(record, "traceback", "longrepr", "text", default="")
    if not frames and isinstance(tb, str):
        for m in _PY_FRAME.finditer(tb):
            frames.append((m.group("path"), int(m.group("line")), m.group("func") or ""))
        if not frames:
            for m in _PYTEST_FRAME.finditer(tb):
                frames.append((m.group("path"), int(m.group("line")), m.group("func") or ""))
    out = []
    for path, line, func in frames:
        rel = _project_rel(root, path)
        if rel is not None and line > 0:
            out.append((rel, line, func))
    return out


def _project_rel(root: Path, path: str) -> str | None:
    if not path or path.startswith("<"):
        return None
    p = Path(path)
    if not p.is_absolute():
        p = root / p
    try:
        rel = p.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    parts = rel.parts
    if any(part in (".venv", "venv", "site-packages", ".kaizen", ".tox") for part in parts):
        return None
    return rel.as_posix() if (root / rel).is_file() else None


def _test_location(root: Path, test_id: str) -> tuple[str, str] | None:
    """('tests/test_x.py', 'test_name') from a pytest node id."""
    file_part, _, rest = test_id.partition("::")
    if not file_part or not (root / file_part).is_file():
        return None
    func = rest.split("::")[-1].split("[")[0] if rest else ""
    return file_part, func


def _find_def(root: Path, path: str, name: str) -> tuple[int, int] | None:
    language = language_for_path(path)
    if not language or not name:
        return None
    try:
        text = read_source(root / path).text
    except ValueError:
        return None
    m = re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", text, re.M) if language == "python" else None
    if m is None:
        m = re.search(rf"\b{re.escape(name)}\s*\(", text)
    if m is None:
        return None
    line = text.count("\n", 0, m.start()) + 1
    found = enclosing_function(root, path, line)
    return (found[0], found[1]) if found else None


_CALLED = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+(?:\(([^)]*)\)|([^\n#;]+))", re.M)


def _module_file(root: Path, module: str) -> str | None:
    rel = module.replace(".", "/")
    for base in ("", "src/", "lib/"):
        for cand in (f"{base}{rel}.py", f"{base}{rel}/__init__.py"):
            if (root / cand).is_file():
                return cand
    return None


def _imported_calls(root: Path, path: str, start: int, end: int) -> list[tuple[str, str]]:
    """(file, name) of the project functions a test calls that its module imports by name."""
    try:
        text = read_source(root / path).text
    except ValueError:
        return []
    imported: dict[str, str] = {}
    for m in _FROM_IMPORT.finditer(text):
        where = _module_file(root, m.group(1))
        if where is None or is_test_file(where):
            continue
        for item in (m.group(2) or m.group(3) or "").split(","):
            words = item.split()
            if words:
                imported[words[-1]] = where  # "a as b" binds b; the def is named a (rare)
    body = "\n".join(text.splitlines()[start - 1 : end])
    return [(imported[n], n) for n in dict.fromkeys(_CALLED.findall(body)) if n in imported]


_Span = tuple[str, int, int, str]  # path, start line, end line, function name


def failure_target(root: Path, record: Any, symbols: Any = None, kind: str = "failure") -> Target | None:
    """A target for a failing test or an uncaught exception: its traceback and the code it runs through.

    The code is the project frames of the traceback; when the traceback stops in the test
    itself (a failed assertion), the project functions the test calls, from the symbol index
    (else from the test module's imports).
    """
    root = Path(root)
    test_id = str(_get(record, "test", "nodeid", "test_id", "name", default="") or "")
    message = str(_get(record, "message", "error", "exception", "summary", default="") or "")
    tb = _get(record, "traceback", "longrepr", "text", default="")
    if not isinstance(tb, str):
        tb = "\n".join(str(x) for x in tb) if isinstance(tb, Iterable) else str(tb)
    frames = frames_of(record, root)
    test_loc = _test_location(root, test_id) if test_id else None
    related: list[tuple[str, int, int]] = []
    if test_loc:
        span = _find_def(root, test_loc[0], test_loc[1])
        if span:
            related.append((test_loc[0], span[0], span[1]))
    spans = _frame_spans(root, frames)
    if not spans and symbols is not None:
        # The assertion failed in the test: look at what the test calls.
        tests = related or [(f[0], f[1], f[1]) for f in frames if is_test_file(f[0])][:1]
        spans = _called_spans(root, symbols, tests)
    if not spans:
        spans = _imported_spans(root, related[:1])
    related += _test_frames(root, frames, related)
    chosen = _main_span(spans, related, test_loc[1] if test_loc else "")
    if chosen is None:
        return None
    (main_path, start, end, name), paths, related = chosen
    what = test_id or message.split("\n")[0][:80] or f"{main_path}:{start}"
    words = KINDS[kind][1]
    title = f"{words} test `{what}`" if kind == "failure" and test_id else f"{words} `{name or what}`"
    evidence: dict[str, Any] = {"message": message[:2000], "traceback": tb[-6000:]}
    if test_id:
        evidence["test"] = test_id
    return Target(kind, main_path, start, end, title, name=name, paths=paths, related=tuple(related),
                  evidence=evidence)


def _frame_spans(root: Path, frames: list[tuple[str, int, str]]) -> list[_Span]:
    """The functions of the traceback's project frames (not the tests'), outermost first."""
    spans: list[_Span] = []
    for path, line, _func in frames:
        if is_test_file(path):
            continue
        found = enclosing_function(root, path, line)
        if found and (path, found[0], found[1], found[2]) not in spans:
            spans.append((path, found[0], found[1], found[2]))
    return spans


def _called_spans(root: Path, symbols: Any, tests: list[tuple[str, int, int]]) -> list[_Span]:
    """The project functions these test spans call, found in the symbol index."""
    spans: list[_Span] = []
    for path, start, end in tests:
        try:
            text = read_source(root / path).text
        except ValueError:
            continue
        body = "\n".join(text.splitlines()[start - 1 : end])
        for name in dict.fromkeys(_CALLED.findall(body)):
            for row in symbols(name=name):
                rpath, definition, line = row[0], bool(row[3]), int(row[4])
                if not definition or is_test_file(rpath) or not (root / rpath).is_file():
                    continue
                found = enclosing_function(root, rpath, line)
                if found and all((rpath, found[0]) != (s[0], s[1]) for s in spans):
                    spans.append((rpath, found[0], found[1], found[2]))
    return spans


def _imported_spans(root: Path, tests: list[tuple[str, int, int]]) -> list[_Span]:
    """No symbol index: the functions the test calls that its module imports by name."""
    spans: list[_Span] = []
    for path, start, end in tests:
        for rpath, name in _imported_calls(root, path, start, end):
            span = _find_def(root, rpath, name)
            if span and all((rpath, span[0]) != (s[0], s[1]) for s in spans):
                spans.append((rpath, span[0], span[1], name))
    return spans


def _test_frames(root: Path, frames: list[tuple[str, int, str]],
                 related: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """The test functions of the traceback in files not shown yet."""
    out: list[tuple[str, int, int]] = []
    for path, line, _ in frames:
        if is_test_file(path) and not any(r[0] == path for r in related + out):
            found = enclosing_function(root, path, line)
            if found:
                out.append((path, found[0], found[1]))
    return out


def _main_span(spans: list[_Span], related: list[tuple[str, int, int]], test_name: str,
               ) -> tuple[_Span, tuple[str, ...], list[tuple[str, int, int]]] | None:
    """(the code to fix, the files an edit may touch, the other code to show), or None."""
    if spans:
        main = spans[-1]  # the deepest frame: closest to the error
        others = [(p, s, e) for p, s, e, _ in spans[:-1]]
        paths = tuple(dict.fromkeys([main[0], *(p for p, _, _ in others)]))
        return main, paths, others + related
    if related:
        path, start, end = related[0]
        return (path, start, end, test_name), (path,), related[1:]
    return None
