"""The scope model behind the KZ117-KZ124 rules: what it binds, reads and resolves.

Each case parses real code and asks the model (or the KZ117 rule, for the whole-file
switches: star imports, module ``__getattr__``, ``globals()`` writes) what Python itself
would decide.
"""

from __future__ import annotations

import textwrap

import pytest

from analysis.parsing import ParsedFile, parse
from suggestions.analyze.engine import Analyzer
from suggestions.analyze.framework import Context, rule_for
from suggestions.analyze.rules._scope import Model, Scope, model
from suggestions.model import content_hash


def _model(code: str, path: str = "m.py") -> tuple[Context, Model]:
    data = textwrap.dedent(code).encode()
    ctx = Context(path, "python", data, parse("python", data))
    return ctx, model(ctx)


def _undefined(code: str, path: str = "m.py") -> list[str]:
    """The names KZ117 reports, through the real engine."""
    rule = rule_for("KZ117")
    assert rule is not None
    data = textwrap.dedent(code).encode()
    parsed = ParsedFile(path, "python", data, parse("python", data))
    found = Analyzer(rules=[rule]).analyze(parsed, content_hash(data))
    return [s.title.split("`")[1] for s in found if s.code == "KZ117"]


def _scope(m: Model, kind: str, index: int = 0) -> Scope:
    return [s for s in m.scopes if s.kind == kind][index]


def test_the_model_is_built_once_per_file() -> None:
    ctx, m = _model("x = 1\n")
    assert model(ctx) is m and m.valid


def test_a_file_with_syntax_errors_or_python2_statements_gets_no_model() -> None:
    assert not _model("def f(:\n    pass\n")[1].valid
    assert not _model("print 'hello'\n")[1].valid
    assert _undefined("print 'hello', undefined\n") == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import a.b.c\nprint(a)\n", []),
        ("import a.b as c\nprint(c, a)\n", ["a"]),
        ("from . import x\nfrom .m import y as z\nprint(x, z, y)\n", ["y"]),
        ("def f(x=y):\n    y = 1\n", ["y"]),  # a default is evaluated outside
        ("@deco\ndef f():\n    deco = 1\n", ["deco"]),  # and so is a decorator
        ("class A:\n    v = 1\n    def m(self):\n        return v\n", ["v"]),
        ("class A:\n    v = 1\n    w = [v for _ in range(2)]\n", ["v"]),
        ("class A:\n    v = [1]\n    w = [x for x in v]\n", []),  # the first iterable
        ("def f():\n    [y := 1 for _ in ()]\n    return y\n", []),  # walrus escapes
        ("def f():\n    [z for z in ()]\n    return z\n", ["z"]),  # comprehension var does not
        ("def f():\n    global G\n    G = 1\ndef g():\n    return G\n", []),
        ("try:\n    undefined_probe\nexcept NameError:\n    pass\n", []),
        ("try:\n    import x\nexcept ImportError:\n    x = None\nprint(x)\n", []),
        ("def f():\n    exec('q = 1')\n    return q\n", []),
        ("def f():\n    x: Unknown = 1\n    return x\n", []),  # not evaluated
        ("x: Unknown = 1\n", ["Unknown"]),  # evaluated at module level
        ("def f[T](x: T) -> T:\n    return x\n", []),
        ("class C[T]:\n    def m(self) -> T:\n        return __class__\n", []),
        ("type Alias[U] = list[U]\nprint(Alias)\n", []),
        ("match p:\n    case [a, *rest] | {'k': a, **rest}:\n        print(a, rest)\n", ["p"]),
        ("match p:\n    case Point(x=v):\n        print(v, x)\n", ["p", "Point", "x"]),
        ("with open(f) as (a, b):\n    print(a, b)\n", ["f"]),
        ("try:\n    pass\nexcept E as e:\n    print(e)\n", ["E"]),
        ("def f():\n    x = 1\n    del x\n    return x\n", []),  # flow-insensitive
        ("if c:\n    v = 1\nprint(v)\n", ["c"]),
        ("f(key=1, **kw)\n", ["f", "kw"]),  # a keyword name is not a read
        ("a.b.c(d.e)\n", ["a", "d"]),  # attribute names are not reads
        ("print(f'{value!r:>{width}}', 'plain {literal}')\n", ["value", "width"]),
        ('"""docstring {x}"""\nf"{statement}"\n', ["statement"]),  # an f-string statement reads
        ("print(__file__, __name__, __builtins__, __debug__, __spec__, __path__)\n", []),
        ("class A:\n    print(__module__, __qualname__)\n", []),
        ("def f():\n    print(__qualname__)\n", ["__qualname__"]),
        ("lambda a, *b, c=d, **e: a + b + c + e + g\n", ["d", "g"]),
    ],
)
def test_undefined_names(code: str, expected: list[str]) -> None:
    assert _undefined(code) == expected


def test_a_star_import_makes_every_module_name_unknown() -> None:
    assert _undefined("from os.path import *\nprint(join, anything)\n") == []


@pytest.mark.parametrize(
    "code",
    [
        "def __getattr__(name):\n    return name\nprint(lazy)\n",
        "globals().update(x=1)\nprint(x)\n",
        "namespace = globals()\nnamespace['y'] = 1\nprint(y)\n",
        "exec('z = 1')\nprint(z)\n",
        "import enum\n@enum.global_enum\nclass F(enum.Flag):\n    A = 1\nprint(A)\n",
    ],
)
def test_a_dynamic_module_namespace_is_not_reported(code: str) -> None:
    _ctx, m = _model(code)
    assert m.dynamic_module
    assert _undefined(code) == []


def test_reading_globals_without_writing_it_keeps_the_module_static() -> None:
    code = "if 'x' in globals():\n    pass\nprint(missing)\n"
    assert not _model(code)[1].dynamic_module
    assert _undefined(code) == ["missing"]


def test_gettext_names_installed_into_builtins_are_not_reported() -> None:
    assert _undefined("print(_('x'), ngettext)\n") == ["ngettext"]
    assert (
        _undefined(
            "import gettext\ngettext.install('app', names=['ngettext'])\nprint(_('x'), ngettext)\n"
        )
        == []
    )


def test_noqa_f821_is_honoured() -> None:
    assert _undefined("print(name)  # noqa: F821\n") == []


def test_bindings_record_kind_and_when_they_take_effect() -> None:
    code = """
    import os
    def f(a, *args, b=1, **kw):
        x = a
        x += 1
        for i in args:
            pass
        with open(a) as fh:
            pass
        return os
    """
    ctx, m = _model(code)
    fn = _scope(m, "function")
    kinds = {name: [b.kind for b in binds] for name, binds in fn.bindings.items()}
    assert kinds == {
        "a": ["param"],
        "args": ["param"],
        "b": ["param"],
        "kw": ["param"],
        "x": ["assign", "aug"],
        "i": ["for"],
        "fh": ["with"],
    }
    assert m.module.bindings["os"][0].kind == "import"
    assert m.module.bindings["f"][0].kind == "def"
    # ``x = a``: the name holds its value after the whole assignment.
    assign = fn.bindings["x"][0]
    assert ctx.source[assign.at - 5 : assign.at] == b"x = a"
    assert list(fn.loads) == ["a", "x", "args", "open", "os"]


def test_resolution_skips_class_bodies_but_not_the_class_itself() -> None:
    _ctx, m = _model("class A:\n    v = 1\n    w = v\n    def m(self):\n        return v\n")
    cls, method = _scope(m, "class"), _scope(m, "function")
    assert m.resolve(cls, "v") is cls
    assert m.resolve(method, "v") is None
    assert m.resolve(method, "len") is m.module  # builtins resolve to the module


def test_nonlocal_reads_resolve_in_the_enclosing_function() -> None:
    _ctx, m = _model("def f():\n    n = 0\n    def g():\n        nonlocal n\n        n += 1\n")
    outer, inner = _scope(m, "function"), _scope(m, "function", 1)
    assert m.resolve(inner, "n") is outer


def test_loops_are_recorded_for_the_closure_rules() -> None:
    _ctx, m = _model("for i, (j, k) in pairs:\n    fs.append(lambda: i)\n")
    assert [sorted(loop.names) for loop in m.loops] == [["i", "j", "k"]]
    lam = _scope(m, "lambda")
    assert [sorted(loop.names) for loop in lam.loops] == [["i", "j", "k"]]
    assert list(lam.loads) == ["i"]


def test_a_deep_expression_does_not_overflow() -> None:
    code = "x = " + "(" * 300 + "1" + ")" * 300 + "\n"
    _ctx, m = _model(code)
    assert m.valid and "x" in m.module.bindings
