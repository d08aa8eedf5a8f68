"""Parse the running interpreter's standard library with tree-sitter, beside ``ast.parse``.

    python bench/parse_bench.py [--repeat N]

Prints files/s and lines/s for both, measured in the same run on the same files, and the
ratio. Also times an incremental re-parse after a one-line edit of the largest file.
"""

from __future__ import annotations

import argparse
import ast
import sys
import sysconfig
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.parsing import ParseCache, parse


def stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3, help="take the best of N runs")
    args = ap.parse_args()
    files = stdlib_files()
    data = [p.read_bytes() for p in files]
    lines = sum(d.count(b"\n") for d in data)
    print(f"Python {sys.version.split()[0]} stdlib: {len(files)} files, {lines:,} lines")

    def ts() -> None:
        for d in data:
            parse("python", d)

    def py_ast() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for d in data:
                try:
                    ast.parse(d)
                except (SyntaxError, ValueError):
                    pass  # a few test files do not parse on purpose

    results = {}
    for name, fn in (("tree-sitter", ts), ("ast.parse", py_ast)):
        best = min(_timed(fn) for _ in range(args.repeat))
        results[name] = best
        print(f"{name:12s} {best:6.2f} s  {len(files) / best:8.0f} files/s  {lines / best:10.0f} lines/s")
    print(f"ratio tree-sitter / ast.parse: {results['tree-sitter'] / results['ast.parse']:.2f}")

    big = max(data, key=len)
    cache = ParseCache()
    cache.parse("big.py", "python", big)
    mid = big.find(b"\n", len(big) // 2) + 1
    edited = big[:mid] + b"x = 1\n" + big[mid:]
    t = time.perf_counter()
    for i in range(20):
        cache.parse("big.py", "python", edited if i % 2 == 0 else big)
    inc = (time.perf_counter() - t) / 20
    full = min(_timed(lambda: parse("python", edited)) for _ in range(5))
    big_lines = big.count(b"\n")
    print(f"largest file ({big_lines:,} lines): incremental re-parse {inc * 1000:.2f} ms, "
          f"full parse {full * 1000:.2f} ms")


def _timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
