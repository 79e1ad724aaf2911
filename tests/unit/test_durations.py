"""common/durations.py: Go-style durations as seconds."""

from __future__ import annotations

import pytest

from common.durations import parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("10", 10.0),
        ("10s", 10.0),
        ("1h", 3600.0),
        ("1h1m1s", 3661.0),
        ("1.5h", 5400.0),
        ("1.5s", 1.5),
        (".5s", 0.5),
        ("2.s", 2.0),
        ("0", 0.0),
        ("0s", 0.0),
        ("0.25", 0.25),
        ("  7s  ", 7.0),
        ("100us", 1e-4),
        ("100µs", 1e-4),
        ("1500ns", 1.5e-6),
        ("1m1m", 120.0),
        ("-1s", -1.0),
        ("+2m", 120.0),
        ("-1m30s", -90.0),
        (2.5, 2.5),
        (10, 10.0),
        (0, 0.0),
    ],
)
def test_parse_duration(value: str | float, seconds: float) -> None:
    result = parse_duration(value)
    assert isinstance(result, float)
    assert result == pytest.approx(seconds, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "abc", "1x", "1m30", "s", "1 m", "1m 30s", "m1", "1.2.3s", "1d",
     "1M", "ms", "-", "+", "1e3s", True, False],
)
def test_invalid_durations(value: str | bool) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)


@pytest.mark.parametrize("value", ["--1s", "+-5s", "-+1m"])
def test_repeated_signs_are_invalid(value: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)
