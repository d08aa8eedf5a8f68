"""``kaizen rules [--json]``: every rule code, with its category, fix safety and summary."""

from __future__ import annotations

import argparse
import json

from suggestions.analyze.framework import all_rules

NAME = "rules"
HELP = "list every rule (static, runtime and LLM): code, category, fix safety and a one-line summary"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the rules as a JSON list")


def run(args: argparse.Namespace) -> int:
    rules = [
        {
            "code": r.code,
            "name": r.slug,
            "title": r.name,
            "category": r.category.value,
            "source": r.source.value,
            "fix_safety": r.applicability.value,
            "languages": list(r.languages),
            "summary": r.headline(),
        }
        for r in all_rules()
    ]
    if args.json:
        print(json.dumps(rules, indent=2))
        return 0
    for rule in rules:
        where = rule["category"] if rule["source"] == "static" else f"{rule['category']} ({rule['source']})"
        print(f"{rule['code']}  {where:<24} {rule['fix_safety']:<13} {rule['summary']}")
    return 0
