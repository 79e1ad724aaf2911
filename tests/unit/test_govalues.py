"""compose/spec/golang/values.py: scalars as docker compose's Go model prints them (checked
against docker compose v2.40.3)."""

from __future__ import annotations

import pytest

from common.sizes import parse_bytes
from compose.spec.golang.values import (
    duration,
    format_float,
    parse_duration,
    to_bool,
    to_float,
    to_str,
)


@pytest.mark.parametrize(("given", "printed"), [
    ("90s", "1m30s"), ("1m30s", "1m30s"), ("1500ms", "1.5s"), ("0.5s", "500ms"),
    ("2h", "2h0m0s"), ("0s", "0s"), ("0", "0s"), ("60s", "1m0s"), ("120s", "2m0s"),
    ("1h2m3.5s", "1h2m3.5s"), ("1us", "1µs"), ("10s", "10s"), ("1.000001s", "1.000001s"),
])
def test_durations_print_like_go(given: str, printed: str) -> None:
    assert duration(given) == printed


@pytest.mark.parametrize(("given", "message"), [
    ("10", 'time: missing unit in duration "10"'),
    ("soon", 'time: invalid duration "soon"'),
    ("5x", 'time: unknown unit "x" in duration "5x"'),
])
def test_invalid_durations(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(given)


@pytest.mark.parametrize(("given", "count"), [
    ("50M", 52428800), ("1g", 1073741824), ("2gb", 2147483648), ("1.5g", 1610612736),
    ("1k", 1024), ("12mb", 12582912), (1000, 1000), ("-1", -1), ("30", 30),
])
def test_sizes_are_binary(given: str | int, count: int) -> None:
    assert parse_bytes(given) == count


def test_invalid_size() -> None:
    with pytest.raises(ValueError, match="invalid size"):
        parse_bytes("lots")


@pytest.mark.parametrize(("given", "printed"), [
    (1000.0, "1000"), (1e7, "1e+07"), (1e-05, "1e-05"), (1.5, "1.5"), (0.0001, "0.0001"),
    (123456789.0, "1.23456789e+08"), (-2.5, "-2.5"), (0.0, "0"),
])
def test_floats_print_like_fmt_sprint(given: float, printed: str) -> None:
    assert format_float(given) == printed
    assert to_str(given) == printed


def test_float32_keeps_its_shortest_spelling() -> None:
    assert to_float("0.001", 32) == 0.001
    assert to_float(0.3, 32) == 0.3
    assert to_float("2", 32) == 2 and isinstance(to_float("2", 32), int)


def test_scalars_as_strings() -> None:
    assert [to_str(True), to_str(False), to_str(3)] == ["true", "false", "3"]
    assert to_bool("true") and not to_bool("false") and to_bool("yes")
