"""The size limits hold: no module under suggestions/ or ui/ over 700 lines, no function over
80 lines or McCabe complexity 25 (bench/code_shape.py measures; the collector is exempt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "code_shape.py"


def test_code_shape_script_counts_what_it_says(tmp_path: Path) -> None:
    code = (
        "def f(x):\n"
        "    if x and x > 1 or x < -1:\n"  # if + 2 boolean operands
        "        return [y for y in x if y]\n"  # comprehension + its if
        "    for i in x:\n"
        "        try:\n"
        "            pass\n"
        "        except ValueError:\n"
        "            pass\n"
        "    return 1 if x else 2\n"  # conditional expression
    )
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import ast

        import code_shape
    finally:
        sys.path.remove(str(SCRIPT.parent))
    func = ast.parse(code).body[0]
    assert isinstance(func, ast.FunctionDef)
    assert code_shape.complexity(func) == 1 + 1 + 2 + 2 + 1 + 1 + 1


def test_suggestions_and_ui_are_within_the_limits() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
