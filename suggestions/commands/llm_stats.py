"""``kaizen llm-stats PATH [--json]``: the LLM funnel of the latest run and of all runs."""

from __future__ import annotations

import argparse
import json
import time

from analysis.store import STATE_DIR
from suggestions.commands import add_path, project_root
from suggestions.llm.funnel import Funnel, FunnelStore
from suggestions.store import Store

NAME = "llm-stats"
HELP = ("the LLM funnel: targets, prompts sent, replies parsed, patches that apply, validation passed, "
        "proven, accepted (latest run and totals)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_path(parser)
    parser.add_argument("--json", action="store_true", help="print the funnels as JSON")


def _table(title: str, f: Funnel) -> list[str]:
    rows = [title]
    first = f.stages()[0][2] or 1
    for _key, words, n in f.stages():
        rows.append(f"  {words:<20} {n:>6}  {100 * n / first:5.0f}%" if _key != "targets" else f"  {words:<20} {n:>6}")
    tps = f.tokens_per_second
    rows.append(f"  tokens               {f.prompt_tokens:,} in, {f.completion_tokens:,} out"
                + (f", {tps:.1f} tokens/s" if tps is not None else ""))
    rows.append(f"  wall time            {f.seconds:.1f} s" + (f" ({f.seconds / f.targets:.1f} s per target)"
                                                              if f.targets else ""))
    return rows


def run(args: argparse.Namespace) -> int:
    root = project_root(args.path)
    latest = totals = None
    if (root / STATE_DIR / "kaizen.db").is_file():  # a folder Kaizen never ran on gets no database
        store = Store(root)
        try:
            funnels = FunnelStore(store)
            latest, totals = funnels.latest(), funnels.totals()
        finally:
            store.close()
    if args.json:
        print(json.dumps({"latest": latest.to_dict() if latest else None,
                          "totals": totals.to_dict() if totals else None}, indent=2))
        return 0
    if latest is None or totals is None:
        print("no LLM run recorded yet (`kaizen suggest PATH --llm --validate` makes one)")
        return 0
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(latest.at))
    mode = "constrained JSON" if latest.constrained else "free-form replies"
    head = (f"Latest run ({when}, {latest.model}, {latest.candidates} candidate(s) x {latest.attempts} "
            f"attempt(s), {mode}):")
    print("\n".join(_table(head, latest)))
    print("\n".join(_table(f"All {totals.runs} run(s):", totals)))
    return 0
