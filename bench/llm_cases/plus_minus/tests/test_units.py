import pytest

from weather.units import celsius_to_fahrenheit, fahrenheit_to_celsius


def test_boiling_and_freezing_points():
    boiling = fahrenheit_to_celsius(212)
    freezing = fahrenheit_to_celsius(32)
    assert boiling == pytest.approx(100), f"212 F should be 100 C, got {boiling}"
    assert freezing == pytest.approx(0), f"32 F should be 0 C, got {freezing}"


def test_celsius_to_fahrenheit():
    assert celsius_to_fahrenheit(100) == pytest.approx(212)
    assert celsius_to_fahrenheit(-40) == pytest.approx(-40)
