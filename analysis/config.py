"""Settings: every option declared once, with its type, default and description.

The same declarations validate ``kaizen.toml`` (or ``[tool.kaizen]`` in ``pyproject.toml``),
document the file (``kaizen config --doc``) and build the settings dialog. Unknown keys and
wrong types are errors that name the key, the file and the line.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SCHEMA", "Config", "ConfigError", "Option", "Section", "load_config"]


class ConfigError(Exception):
    """A settings file that Kaizen cannot use; the message names file, line and key."""

    def __init__(self, message: str, *, path: Path | None = None, key: str = "", line: int = 0):
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")
        self.path = path
        self.key = key
        self.line = line


@dataclass(frozen=True)
class Option:
    name: str
    type: str  # bool | int | float | str | list[str] | dict[str, list[str]]
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None


@dataclass(frozen=True)
class Section:
    name: str  # "" is the top level
    description: str
    options: tuple[Option, ...]
    repeated: bool = False  # an array of tables, e.g. [[policy.rules]]
    required: tuple[str, ...] = ()

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)


_LS = "list[str]"

SCHEMA: tuple[Section, ...] = (
    Section(
        "",
        "Which rules run where.",
        (
            Option("select", _LS, ["KZ"], "Rule codes or prefixes to enable."),
            Option("ignore", _LS, [], "Rule codes or prefixes to disable."),
            Option(
                "per-file-ignores",
                "dict[str, list[str]]",
                {},
                "Glob of project paths -> codes to disable there.",
            ),
            Option("exclude", _LS, [], "Extra gitignore-style patterns that Kaizen skips."),
            Option(
                "max-file-size", "int", 2_000_000, "Files larger than this (bytes) are skipped.", minimum=1
            ),
            Option("target-version", "str", "3.11", "Oldest Python the project supports."),
        ),
    ),
    Section(
        "thresholds",
        "Limits for the structural analyzers (every language).",
        (
            Option("function-lines", "int", 80, "A function longer than this is flagged.", minimum=1),
            Option("parameters", "int", 6, "More parameters than this are flagged.", minimum=1),
            Option("nesting", "int", 4, "Blocks nested deeper than this are flagged.", minimum=1),
            Option("complexity", "int", 12, "Cyclomatic complexity above this is flagged.", minimum=1),
            Option(
                "duplicate-tokens", "int", 60, "Shortest duplicated token run reported.", minimum=10
            ),
        ),
    ),
    Section(
        "validation",
        "How candidates are checked before they are offered.",
        (
            Option("test-command", "str", "python -m pytest -q", "Runs the project's tests."),
            Option("benchmark-command", "str", "", "Times performance suggestions (default: tests)."),
            Option("timeout", "float", 300.0, "Seconds before a test run is killed.", minimum=1),
            Option("workers", "int", 0, "Parallel validations (0: one per core, max 2 on small machines).", minimum=0),
            Option("repeats", "int", 5, "Interleaved before/after timing pairs for performance claims "
                   "(at least 5 are run).", minimum=1),
            Option("min-speedup", "float", 1.10, "Speed-up a performance suggestion must show.", minimum=1),
            Option("confine", "str", "auto", "Test runs in a bubblewrap sandbox: auto (unconfined results "
                   "never auto-apply), require, or off.", choices=("auto", "require", "off")),
            Option("pass-env", _LS, [], "Environment variables (names or globs) test runs may see "
                   "besides the built-in allow-list."),
            Option("memory-mb", "int", 4096, "Address-space limit of a test run in MiB (0: none).", minimum=0),
            Option("mutants", "int", 8, "Mutants of the changed code run against the tests that cover it "
                   "(0: none).", minimum=0),
            Option("mutant-budget", "float", 60.0, "Seconds all mutants of one candidate may take at most; never more "
                   "than the plain test run took, so the evidence costs at most about 2x the tests.", minimum=1),
            Option("mutation-threshold", "float", 0.6, "Share of mutants the covering tests must kill "
                   "for a change to be proven.", minimum=0),
            Option("replay-min", "int", 3, "Replayed real calls, all matching, that prove a covered change.",
                   minimum=1),
        ),
    ),
    Section(
        "trace",
        "Runtime trace collection.",
        (
            Option("command", "str", "python -m pytest -q", "What `kaizen trace` runs by default."),
            Option("timeout", "float", 1800.0, "Seconds before a traced command is stopped.", minimum=1),
            Option("type-samples", "int", 8, "Argument/return type samples kept per function.", minimum=0),
            Option("value-samples", "int", 8, "Real argument values kept per function for replay (0: none).",
                   minimum=0),
            Option("value-max-bytes", "int", 2048, "Largest pickled call kept for replay.", minimum=64),
            Option("no-values", _LS, [], "Path globs whose argument values are never recorded."),
        ),
    ),
    Section(
        "llm",
        "An OpenAI-compatible endpoint (OpenAI, Ollama, llama.cpp, vLLM, LM Studio).",
        (
            Option("enabled", "bool", True, "Use the LLM when an endpoint is configured."),
            Option("base-url", "str", "", "Endpoint URL; empty uses OPENAI_BASE_URL. Set by a project, it gets your key only once you trust it."),
            Option("model", "str", "", "Model name; empty uses KAIZEN_LLM_MODEL or gpt-4o-mini."),
            Option("timeout", "float", 120.0, "Seconds per request in total, connect to last byte.", minimum=0.1),
            Option("max-retries", "int", 2, "Retries on rate limits and server errors.", minimum=0),
            Option("concurrency", "int", 2, "Requests in flight at once.", minimum=1),
            Option("daily-token-budget", "int", 200_000, "Tokens per day, then Kaizen stops asking (0: no limit).", minimum=0),
            Option("candidates", "int", 2, "Candidates requested per target.", minimum=1),
            Option("attempts", "int", 3, "Tries per candidate: a failed one is sent back with its failure.",
                   minimum=1),
            Option("context-tokens", "int", 6000, "Budget for the prompt's context.", minimum=256),
            Option("price-input", "float", 0.0, "Cost per 1M input tokens (for the usage display).", minimum=0),
            Option("price-output", "float", 0.0, "Cost per 1M output tokens.", minimum=0),
        ),
    ),
    Section(
        "editor",
        "Opening a location in your editor.",
        (
            Option(
                "command",
                "str",
                "",
                "Command with {file}, {line}, {col}; presets: vscode, jetbrains, $EDITOR.",
            ),
        ),
    ),
    Section(
        "git",
        "Optional git integration for accepted changes.",
        (Option("mode", "str", "off", "What to do with an applied change.", choices=("off", "stage", "commit")),),
    ),
    Section(
        "policy",
        "Guardrails over every automatic change.",
        (
            Option("rate-limit", "int", 20, "Automatic changes per hour at most.", minimum=0),
            Option("quiet-seconds", "float", 5.0, "No change to a file edited this recently.", minimum=0),
        ),
    ),
    Section(
        "policy.never",
        "Paths and codes that nothing may touch, whatever a rule says.",
        (
            Option("paths", _LS, [], "Glob patterns of project paths."),
            Option("codes", _LS, [], "Rule codes (globs)."),
        ),
    ),
    Section(
        "policy.rules",
        "Rules under which suggestions apply themselves.",
        (
            Option("name", "str", "", "Shown in the audit log."),
            Option("codes", _LS, ["*"], "Rule code globs."),
            Option("source", _LS, ["static", "runtime"], "Sources allowed (static, runtime, llm)."),
            Option("applicability", _LS, ["safe"], "Applicability allowed (safe, unsafe)."),
            Option("min-confidence", "float", 0.9, "Lowest confidence allowed.", minimum=0),
            Option("max-changed-lines", "int", 10, "Largest diff allowed.", minimum=0),
            Option("paths", _LS, ["**"], "Path globs the rule covers."),
            Option("exclude", _LS, [], "Path globs the rule never covers."),
            Option(
                "require-validation", "str", "passed", "Validation required: proven (strongest evidence), "
                "passed, or none.", choices=("proven", "passed", "none")
            ),
            Option("min-speedup", "float", 1.0, "For performance suggestions.", minimum=1),
        ),
        repeated=True,
        required=("name",),
    ),
)

_SECTIONS = {s.name: s for s in SCHEMA}


@dataclass
class Config:
    """Validated settings; missing options hold their declared defaults."""

    values: dict[str, Any]
    path: Path | None = None
    project_root: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def get(self, dotted: str) -> Any:
        """``cfg.get("validation.timeout")``; top-level options have no section prefix."""
        section, _, key = dotted.rpartition(".")
        return self.values[section][key]

    def section(self, name: str) -> Any:
        return self.values[name]


def defaults() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in SCHEMA:
        out[s.name] = [] if s.repeated else {o.name: copy.deepcopy(o.default) for o in s.options}
    return out


def load_config(root: Path) -> Config:
    """Read ``kaizen.toml`` (preferred) or ``[tool.kaizen]`` of ``pyproject.toml`` under root."""
    root = Path(root)
    toml_path = root / "kaizen.toml"
    raw: Mapping[str, Any] = {}
    source: Path | None = None
    if toml_path.is_file():
        source = toml_path
        raw = _read_toml(toml_path)
    else:
        py = root / "pyproject.toml"
        if py.is_file():
            try:
                data = _read_toml(py)
            except ConfigError:
                data = {}  # pyproject is not ours to judge; Kaizen only reads its own table
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "kaizen" in tool:
                source = py
                raw = tool["kaizen"]
    cfg = Config(values=validate(raw, source), path=source, project_root=root)
    return cfg


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        return tomllib.loads(text)
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise ConfigError("invalid TOML: arrays or tables nested too deeply", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else text.count("\n") + (not text.endswith("\n"))
        raise ConfigError(f"invalid TOML: {exc}", path=path, line=max(line, 1)) from None


def validate(raw: Mapping[str, Any], path: Path | None = None) -> dict[str, Any]:
    """Check ``raw`` against :data:`SCHEMA`; return complete values (defaults filled in)."""
    text = _safe_text(path)
    out = defaults()
    prefix = "tool.kaizen." if path is not None and path.name == "pyproject.toml" else ""

    def fail(msg: str, key: str, section: str = "") -> ConfigError:
        return ConfigError(msg, path=path, key=key, line=_line_of(text, key, prefix + section))

    def check_table(section: Section, table: Mapping[str, Any], dotted: str) -> dict[str, Any]:
        values = {o.name: copy.deepcopy(o.default) for o in section.options}
        for key, value in table.items():
            full = f"{dotted}.{key}" if dotted else key
            if isinstance(value, dict | list) and f"{dotted}.{key}".lstrip(".") in _SECTIONS:
                continue  # a nested section, handled on its own
            opt = section.option(key)
            if opt is None and isinstance(value, dict):
                raise fail(f"unknown section '{prefix}{full}'", key, dotted)
            if opt is None:
                known = ", ".join(o.name for o in section.options)
                raise fail(f"unknown key '{prefix}{full}' (known here: {known})", key, dotted)
            values[key] = _coerce(opt, value, lambda m, k=key: fail(m, k, dotted), prefix + full)
        for req in section.required:
            if not table.get(req):
                raise fail(f"'{prefix}{dotted}' entry needs '{req}'", dotted, "")
        return values

    def walk(table: Any, dotted: str) -> None:
        section = _SECTIONS[dotted]
        if section.repeated:
            if not isinstance(table, list):
                raise fail(f"'{prefix}{dotted}' must be an array of tables ([[{dotted}]])", dotted)
            for i, t in enumerate(table, start=1):
                if not isinstance(t, dict):
                    raise fail(
                        f"'{prefix}{dotted}' entry {i} must be a table ([[{prefix}{dotted}]]), "
                        f"not {type(t).__name__}", dotted.rpartition(".")[2], dotted.rpartition(".")[0])
            entries = [check_table(section, t, dotted) for t in table]
            names = [e["name"] for e in entries]
            dup = {n for n in names if names.count(n) > 1}
            if dup:
                raise fail(f"duplicate rule name '{sorted(dup)[0]}' in [[{dotted}]]", "name")
            out[dotted] = entries
            return
        out[dotted] = check_table(section, table, dotted)
        for key, value in table.items():
            child = f"{dotted}.{key}".lstrip(".")
            if child in _SECTIONS:
                if not isinstance(value, dict | list):
                    raise fail(f"'{prefix}{child}' must be a table", key)
                walk(value, child)
            elif isinstance(value, dict) and section.option(key) is None:
                raise fail(f"unknown section '{prefix}{child}'", key)

    if not isinstance(raw, Mapping):
        raise ConfigError("[tool.kaizen] must be a table", path=path)
    walk(raw, "")
    return out


def _coerce(opt: Option, value: Any, fail: Any, full: str) -> Any:
    t = opt.type
    ok: bool
    if t == "bool":
        ok = isinstance(value, bool)
    elif t == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif t == "str":
        ok = isinstance(value, str)
    elif t == _LS:
        if isinstance(value, str):
            value = [value]
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:  # dict[str, list[str]]
        ok = isinstance(value, dict) and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in value.values()
        )
    if not ok:
        raise fail(f"'{full}' must be {_type_words(t)}, not {type(value).__name__} ({_short(value)})")
    if t == "float" and not math.isfinite(value):
        raise fail(f"'{full}' must be a finite number, not {value!r}")
    if any("\x00" in v for v in _strings(value)):
        raise fail(f"'{full}' must not contain a NUL character")
    if opt.choices and value not in opt.choices:
        raise fail(f"'{full}' must be one of {', '.join(opt.choices)}, not {value!r}")
    if opt.minimum is not None and value < opt.minimum:
        raise fail(f"'{full}' must be at least {opt.minimum:g}, not {value!r}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return [*value, *(x for v in value.values() if isinstance(v, list) for x in v if isinstance(x, str))]
    return []


def _type_words(t: str) -> str:
    return {
        "bool": "true or false",
        "int": "an integer",
        "float": "a number",
        "str": "a string",
        _LS: "a list of strings",
    }.get(t, "a table of lists of strings")


def _safe_text(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _line_of(text: str, key: str, section: str = "") -> int:
    """Best-effort line of ``key`` (searched after its section's header when there is one)."""
    if not text or not key:
        return 0
    start = 0
    if section:
        header = re.search(rf"^[ \t]*\[+[ \t]*{re.escape(section)}[ \t]*\]+", text, re.M)
        if header:
            start = header.end()
    k = re.escape(key)
    pattern = rf'^[ \t]*(?:"{k}"|{k})[ \t]*=|^[ \t]*\[+[^\]\n]*\b{k}[ \t]*\]'
    m = re.compile(pattern, re.M).search(text, start) or re.compile(pattern, re.M).search(text)
    return text.count("\n", 0, m.start()) + 1 if m else 0


def document() -> str:
    """The settings reference, as Markdown (rendered from the declarations)."""
    lines = ["# Kaizen settings", ""]
    for s in SCHEMA:
        header = "(top level)" if not s.name else (f"[[{s.name}]]" if s.repeated else f"[{s.name}]")
        lines += [f"## {header}", "", s.description, ""]
        for o in s.options:
            default = o.default if not isinstance(o.default, str) else f'"{o.default}"'
            lines.append(f"- `{o.name}` ({o.type}, default `{default}`): {o.description}")
        lines.append("")
    return "\n".join(lines)
