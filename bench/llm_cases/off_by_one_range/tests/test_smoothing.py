import pytest

from metrics.smoothing import moving_average


def test_every_window_is_averaged():
    result = moving_average([1, 2, 3, 4, 5], 2)
    assert result == [1.5, 2.5, 3.5, 4.5], (
        f"5 points with a window of 2 should give 4 averages, got {result}"
    )


def test_window_as_long_as_the_series():
    result = moving_average([2, 4, 6], 3)
    assert result == [4.0], f"a window covering the whole series gives one average, got {result}"


def test_window_longer_than_the_series_gives_nothing():
    assert moving_average([1, 2], 5) == []


def test_rejects_a_window_of_zero():
    with pytest.raises(ValueError):
        moving_average([1, 2, 3], 0)
