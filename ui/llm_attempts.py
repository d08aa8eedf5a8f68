"""The details pane's block for an LLM suggestion: every attempt, and the alternatives kept."""

from __future__ import annotations

import html
from typing import Any

from suggestions.model import Suggestion
from suggestions.terminal import printable
from ui.theme import colors

__all__ = ["LLM_KEYS", "llm_attempts_html"]

# Evidence keys shown by this block (not as raw rows of the evidence table).
LLM_KEYS = ("llm_attempts", "llm_alternatives")


def _cell(value: Any) -> str:
    return html.escape(printable(str(value)))


def llm_attempts_html(s: Suggestion) -> str:
    """An "LLM attempts" table (outcome, reason, hashes, tokens, time) and the alternatives; "" for others."""
    attempts = s.evidence.get("llm_attempts")
    alternatives = s.evidence.get("llm_alternatives")
    if not isinstance(attempts, list) and not isinstance(alternatives, list):
        return ""
    c = colors()
    out = ["<h4>LLM attempts</h4>"]
    if isinstance(attempts, list) and attempts:
        head = "".join(f"<th align='left' style='padding-right:8px'>{h}</th>" for h in
                       ("#", "outcome", "why", "prompt", "reply", "tokens", "time"))
        rows = []
        for a in attempts:
            if not isinstance(a, dict):
                continue
            secs = float(a.get("seconds") or 0)
            rows.append("<tr>" + "".join(f"<td style='padding-right:8px'>{x}</td>" for x in (
                _cell(f"{a.get('candidate', '?')}.{a.get('attempt', '?')}"), _cell(a.get("outcome", "")),
                _cell(str(a.get("reason", ""))[:200]),
                f"<code>{_cell(a.get('prompt_hash', ''))}</code>", f"<code>{_cell(a.get('reply_hash', ''))}</code>",
                _cell(f"{a.get('prompt_tokens', 0)} + {a.get('completion_tokens', 0)}"),
                _cell("cached" if a.get("cached") else f"{secs:.1f} s"))) + "</tr>")
        out.append(f"<table><tr>{head}</tr>{''.join(rows)}</table>")
    if isinstance(alternatives, list) and alternatives:
        out.append(f"<p style='color:{c['muted']}'>Other candidates for this target (not offered):</p><ul>")
        for alt in alternatives:
            if isinstance(alt, dict):
                failed = ", ".join(str(t) for t in alt.get("failed_tests") or [])
                out.append(f"<li>candidate {_cell(alt.get('candidate', '?'))}: {_cell(alt.get('status', ''))}"
                           + (f" ({_cell(failed)})" if failed else "")
                           + f"<pre>{_cell(str(alt.get('diff', ''))[:1500])}</pre></li>")
        out.append("</ul>")
    return "".join(out)
