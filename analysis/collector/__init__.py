"""Kaizen's runtime collector: stdlib-only code injected into traced Python processes.

This folder is put first on ``PYTHONPATH`` of the traced command, so its modules are
imported there as top-level modules: ``sitecustomize`` (loads the collector, then chains to
any other ``sitecustomize``), ``_kaizen_collector`` (the tracer), ``_kaizen_instrument``
(Python 3.11: compiles the project's modules with probes instead of tracing) and
``_kaizen_pytest`` (a pytest plugin, registered through ``PYTEST_PLUGINS``, that tells the
collector which test is running). Kaizen itself only needs :data:`COLLECTOR_DIR` and the file
format constants.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["COLLECTOR_DIR", "FORMAT_VERSION", "PLUGIN_MODULE"]

COLLECTOR_DIR = Path(__file__).resolve().parent
FORMAT_VERSION = 2
PLUGIN_MODULE = "_kaizen_pytest"
