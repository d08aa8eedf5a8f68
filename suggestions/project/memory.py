"""Process-wide memory settings for a long-running Kaizen (``watch``, the window)."""

from __future__ import annotations

import gc
import sys

__all__ = ["gc_tuned", "tune_gc"]

_GC_TUNED = False


def tune_gc(*, gui: bool = False) -> None:
    """Tune the garbage collector for a long-running Kaizen process (``watch``, the window).

    Full (generation 2) collections walk the whole heap while holding the GIL; on a big
    project they cost hundreds of milliseconds at random moments, which is what a user
    feels as a late update. Objects alive now are frozen out of them, and full passes run
    rarely. Kaizen's data is acyclic and freed by reference counting, so young collections
    still reclaim the few cycles there are. Idempotent.

    ``gui`` also has background threads hand the GIL back to the GUI thread sooner
    (every 1 ms instead of 5).
    """
    if gui:
        sys.setswitchinterval(0.001)
    global _GC_TUNED
    if _GC_TUNED:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 1_000)
    _GC_TUNED = True


def gc_tuned() -> bool:
    return _GC_TUNED
