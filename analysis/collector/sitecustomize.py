"""Loads Kaizen's collector into this process, then runs the ``sitecustomize`` it shadows.

Injected by ``kaizen trace`` through ``PYTHONPATH``. Anything going wrong here must not
change the traced program, so every step swallows its own errors.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))

try:
    if os.environ.get("KAIZEN_TRACE_DIR"):
        import _kaizen_collector

        _kaizen_collector.install()
except Exception:
    pass


def _chain() -> None:
    """Execute the next ``sitecustomize`` on sys.path (the one ours hides), if any."""
    import importlib.machinery
    import importlib.util

    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is None or spec.loader is None or spec.origin == __file__:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _chain()
except Exception:
    import traceback

    print("Error in sitecustomize (chained by Kaizen):", file=sys.stderr)
    traceback.print_exc()
