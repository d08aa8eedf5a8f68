"""The never-ran notes (KZ804) are out of the window's list until the filter bar's box shows them."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from suggestions.model import Applicability, Source, Span, Suggestion
from ui.filter_bar import FilterBar
from ui.models import SuggestionFilter, SuggestionTableModel

pytestmark = pytest.mark.gui


def _s(code: str, fp: str, source: Source = Source.STATIC) -> Suggestion:
    return Suggestion(fingerprint=fp * 40, code=code, title=f"{code} finding", rationale="", path="pkg/mod.py",
                      span=Span(3, 0, 3, 5), patch=None, applicability=Applicability.DISPLAY_ONLY,
                      confidence=0.5, source=source)


def test_never_ran_notes_are_hidden_until_asked_for(qtbot) -> None:
    model = SuggestionTableModel()
    proxy = SuggestionFilter()
    proxy.setSourceModel(model)
    bar = FilterBar()
    qtbot.addWidget(bar)
    bar.changed.connect(lambda kw: proxy.set_filters(**kw))
    model.apply([_s("KZ101", "a"), _s("KZ804", "b", Source.RUNTIME), _s("KZ804", "c", Source.RUNTIME),
                 _s("KZ802", "d", Source.RUNTIME)], [], [])
    proxy.set_filters()
    assert proxy.rowCount() == 2
    assert proxy.never_ran_hidden() == 2
    bar.show_hidden(proxy.never_ran_hidden())
    assert bar.never_ran.text() == "Never ran (2 hidden)"
    bar.never_ran.setChecked(True)
    assert proxy.rowCount() == 4 and proxy.never_ran_hidden() == 0
    bar.show_hidden(proxy.never_ran_hidden())
    assert bar.never_ran.text() == "Never ran"
    bar.source_box.setCurrentText("runtime")  # the other filters still apply beside it
    assert proxy.rowCount() == 3
    bar.never_ran.setChecked(False)
    assert proxy.rowCount() == 1
