import os
import os.path as osp

# --- will match
def config_path(name):
    return os.path.join(CONFIG_DIR, name)  # never defined


class Settings:
    default = 3

    def value(self):
        return default  # class attributes need self.


def other_locals():
    total = 1
    return total


def uses_other():
    return total  # a local of another function


def typo(items):
    return [itme for item in items]


squares = lambda n: n * factor  # noqa: E731


class Quirk:
    attr = 1
    items = [attr for _ in range(3)]  # a comprehension does not see the class body


# --- will not match
import a.b.c  # binds a
from . import sibling
from .pkg import thing as alias

try:
    import json
except ImportError:
    json = None

try:
    unicode
except NameError:
    unicode = str

if os.name == "nt":
    SEP = "\\"
else:
    SEP = "/"

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


def builtins_and_module_names():
    print(len(__file__), __name__, __doc__, __builtins__, __debug__, __spec__)
    return a.b, sibling, alias, json, SEP, unicode, ExceptionGroup, WindowsError


def annotations(x: "Iterator[int]") -> "Undefined names in strings are skipped":
    local: NotEvaluatedHere = 1  # a local variable's annotation is never evaluated
    return x, local


class Body:
    attr = 1
    other = attr + 1  # the class body sees its own names
    items = [x for x in [attr]]  # the first iterable is evaluated in the class body
    module_name = __module__
    qual = __qualname__

    def method(self):
        return __class__, self.attr


def comprehensions(rows):
    pairs = {k: v for k, v in rows}
    nested = [y for x in rows for y in x if y]
    gen = (z for z in rows)
    return pairs, nested, gen


def defaults(fn=len, *args, key=None, **kw):
    return fn, args, key, kw


def walrus(values):
    if (n := len(values)) > 1:
        return n
    return [last := v for v in values], last


def global_definer():
    global LATER
    LATER = 1


def reads_later():
    return LATER


def closures():
    count = 0

    def inc():
        nonlocal count
        count += 1
        return count

    return inc


def deleted(d):
    tmp = 1
    del tmp
    return d


def handler():
    try:
        pass
    except ValueError as error:
        return error


def matcher(command):
    match command:
        case ["go", direction]:
            return direction
        case {"x": x, **rest}:
            return x, rest
        case Point(x=px) | [*px]:
            return px
        case os.sep as sep:
            return sep
    return None


class Point:
    x = 0


def later_in_module():
    return defined_at_the_end()


def with_as(path):
    with open(path) as (f):
        return f


def dynamic():
    exec("y = 1")
    return y


def keywords(**options):
    return dict(name=options, key=1)


def type_params[T](x: T) -> T:
    return x


class Box[V]:
    def get(self) -> V:
        return self.v


def defined_at_the_end():
    return None


def translated():
    return _("gettext.install() puts _ into builtins")
