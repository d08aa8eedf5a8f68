"""The details pane: what a suggestion is, why it ranks where it does, its evidence and validation."""

from __future__ import annotations

import html

from PySide6.QtWidgets import QTextBrowser

from suggestions.model import Suggestion, Validation
from suggestions.report import evidence_rows, evidence_words, grade_words
from ui import models as m
from ui.llm_attempts import LLM_KEYS, llm_attempts_html
from ui.theme import colors, rich_text

__all__ = ["DetailsPane", "details_html", "validation_html"]


class DetailsPane(QTextBrowser):
    """Shows :func:`details_html` of a suggestion; a refresh with the same words keeps the scroll."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("details")
        self.setOpenExternalLinks(False)
        self.shown = ""

    def show_html(self, text: str) -> None:
        self.shown = text
        self.setHtml(text)

    def refresh_html(self, text: str) -> None:
        """New words in place (a re-rank): the scroll position stays; the same words: nothing."""
        if text == self.shown:
            return
        bar = self.verticalScrollBar()
        at = bar.value()
        self.show_html(text)
        bar.setValue(at)

    def clear(self) -> None:
        self.shown = ""
        super().clear()


def details_html(s: Suggestion, explain: str) -> str:
    """The pane's HTML for ``s``; ``explain`` is the ranker's sentence (or "")."""
    c = colors()
    esc = html.escape
    out = [f'<h3 style="margin-bottom:2px">{esc(s.code)} · {esc(s.title)}</h3>',
           f'<p style="color:{c["muted"]};margin-top:0">{esc(s.path)}:{s.line} · {esc(s.source.value)} · '
           f'{esc(s.applicability.value)} · confidence {s.confidence:.0%}</p>',
           f"<p>{rich_text(s.rationale)}</p>"]
    if not explain and s.score_breakdown:
        explain = "; ".join(t.explanation for t in s.score_breakdown if t.explanation)
    out.append("<h4>Why it ranks here</h4>")
    out.append(f"<p>{esc(explain) if explain else 'Not ranked yet: no decisions or traces to weigh.'}</p>")
    out.append("<h4>Evidence</h4>")
    if s.evidence:
        rows = "".join(f"<tr><td style='color:{c['muted']};padding-right:10px'>{esc(k)}</td>"
                       f"<td>{esc(v)}</td></tr>" for k, v in evidence_rows(
                           {k: v for k, v in s.evidence.items() if k not in LLM_KEYS}))
        out.append(f"<table>{rows}</table>")
    else:
        out.append(f"<p style='color:{c['muted']}'>No runtime evidence yet — run a trace from the Hotspots tab.</p>")
    out.append(llm_attempts_html(s))
    out.append(_validation_html(s))
    return "".join(out)


def _validation_html(s: Suggestion) -> str:
    return validation_html(s.validation, m.status_of(s))


def validation_html(v: Validation, word: str) -> str:
    """A validation in words: the grade, what it means, the evidence, then the log. ``word``
    is what the list calls it (``status_of``); "Validate my changes" shows the same."""
    c = colors()
    esc = html.escape
    color = {"proven": c["accent"], "passed": c["ok"], "failed": c["bad"], "error": c["bad"]}.get(word, c["warn"])
    out = ["<h4>Validation</h4>", f"<p><b style='color:{color}'>{esc(word)}</b>"]
    if v.tests_run:
        out.append(f" · {len(v.tests_run)} test{'s' if len(v.tests_run) != 1 else ''} run")
    if v.failed_tests:
        out.append(f" · failed: {esc(', '.join(v.failed_tests[:5]))}")
    if v.duration_s is not None:
        out.append(f" · {v.duration_s:.1f} s")
    if v.speedup and (v.strength is None or v.strength.speedup_median is None):
        out.append(f" · speed-up {v.speedup:.2f}x")
    out.append("</p>")
    if v.done:
        meaning = grade_words(v)
        out.append(f"<p>{esc(meaning[:1].upper() + meaning[1:])}.</p>")
    words = evidence_words(v.strength)
    if words:
        sentence = "; ".join(words)
        out.append(f"<p>{esc(sentence[:1].upper() + sentence[1:])}.</p>")
    if v.log:
        out.append(f"<p style='font-family:monospace;font-size:9pt;white-space:pre-wrap'>"
                   f"{esc(v.log[-4000:])}</p>")
    elif not v.done:
        out.append(f"<p style='color:{c['muted']}'>Not validated yet. Re-validate runs the tests that cover "
                   "this code in a sandbox copy.</p>")
    return "".join(out)
