import pytest

from textutils.display import truncate


def test_cut_text_fits_the_width():
    result = truncate("Quarterly revenue report", 10)
    assert len(result) <= 10, f"truncate(..., 10) returned {result!r} ({len(result)} characters)"
    assert result == "Quarter...", f"expected 'Quarter...', got {result!r}"


def test_text_that_fits_is_unchanged():
    assert truncate("Totals", 10) == "Totals"
    assert truncate("exactly 10", 10) == "exactly 10"


def test_rejects_a_width_smaller_than_the_ellipsis():
    with pytest.raises(ValueError):
        truncate("anything", 2)
