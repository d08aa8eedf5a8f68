"""The command line: one module per subcommand, discovered by walking this package.

A command module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int``. Errors a user can cause raise :class:`CommandError`; ``main.py``
prints them as one line on stderr and exits with 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

from suggestions.project.actions import ActionError

__all__ = ["CommandError", "command_names", "commands", "project_root"]


#: A usage or input error: one line for stderr, exit code 2. The actions raise the same
#: (suggestions/project/actions.py), so a refusal reads the same wherever it comes from.
CommandError = ActionError


def command_names() -> list[str]:
    """The subcommands, without importing them (a module's name is its command's, ``_`` read as ``-``)."""
    return sorted(info.name.replace("_", "-") for info in pkgutil.iter_modules(__path__)
                  if not info.name.startswith("_"))


def commands(only: str | None = None) -> dict[str, ModuleType]:
    """Every command module, imported; or just ``only``'s (a run needs one, not all)."""
    found: dict[str, ModuleType] = {}
    for name in command_names():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            found[module.NAME] = module
    return dict(sorted(found.items()))


def project_root(path: str | Path) -> Path:
    """The project folder named on the command line, checked."""
    p = Path(path).expanduser()
    if not p.exists():
        raise CommandError(f"{path}: no such folder")
    if not p.is_dir():
        raise CommandError(f"{path}: not a folder")
    return p.resolve()


def add_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="the project folder")
