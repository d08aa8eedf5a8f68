import pytest

from sensors.daily import daily_range


def test_summer_day():
    result = daily_range([18.5, 24.0, 21.2])
    assert result == (18.5, 24.0), f"the lowest reading was 18.5, got {result}"


def test_winter_day():
    assert daily_range([-3.0, -7.5, 1.0]) == (-7.5, 1.0)


def test_no_readings():
    with pytest.raises(ValueError):
        daily_range([])
