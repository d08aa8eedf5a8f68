from __future__ import annotations

from suggestions.analyze.framework import Category, RuntimeRule
from suggestions.model import Applicability


class MemoizeHotFunction(RuntimeRule):
    """Pure function called again and again with the same arguments.

    What it does:
        From the latest trace: flags a module-level function that is pure by static
        inspection (no global writes, I/O, randomness, clock or argument mutation), was
        called at least 500 times with hashable arguments, repeated its arguments in at least
        half of the sampled calls and returned immutable values, and suggests
        ``@functools.cache``. Ranked by the time the cache would have saved in the traced run.

    Why is this bad?
        The same result is computed again for arguments already seen; a cache returns it at
        once, and the traced run says how much time that would have saved.

    Example:
        ```python bad
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)
        ```
        ```python good
        import functools


        @functools.cache
        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)
        ```

    Fix safety:
        The fix adds ``@functools.cache`` (and ``import functools``). It is unsafe: the cache
        keeps every argument alive, and it assumes the result depends on the arguments only,
        which a static purity check cannot prove.
    """

    code = "KZ801"
    name = "Cache a hot pure function"
    category = Category.PERFORMANCE
    applicability = Applicability.UNSAFE
    confidence = 0.6
