"""``logs --tail/--since/--until``: docker's time formats and line selection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from common.errors import UsageError
from common.status import LogLine
from compose.engine.logselect import parse_tail, parse_when, select

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("text", "seconds_before_now"), [
    ("42m", 42 * 60), ("1h30m", 5400), ("10s", 10), ("1.5h", 5400), ("500ms", 0.5),
    ("2026-11-23T11:00:00Z", 3600), ("2026-11-23T11:00:00+00:00", 3600),
    ("2026-11-23T12:00:00+01:00", 3600), ("2026-11-23T11:00:00", 3600),
    ("2026-11-23T11:59:59.5Z", 0.5), ("2026-11-23", 12 * 3600),
    (str(int(NOW) - 60), 60), (f"{NOW - 1.25}", 1.25),
])
def test_times_as_docker_reads_them(text: str, seconds_before_now: float) -> None:
    assert parse_when(text, NOW) == pytest.approx(NOW - seconds_before_now)


@pytest.mark.parametrize("text", ["yesterday", "42 minutes", "2026-13-01", ""])
def test_bad_times_are_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="invalid time"):
        parse_when(text, NOW)


def test_tail_values() -> None:
    assert parse_tail("all") is None
    assert parse_tail("5") == 5
    assert parse_tail("0") == 0
    assert parse_tail("-1") is None
    with pytest.raises(UsageError, match="--tail"):
        parse_tail("ten")


LINES = [LogLine(f"2026-11-23T11:0{m}:00.123456789Z", "stdout", f"line {m}") for m in range(6)]


def texts(lines: list[LogLine]) -> list[str]:
    return [line.text for line in lines]


def test_select_by_time_window_and_tail() -> None:
    since = parse_when("2026-11-23T11:02:00Z", NOW)
    until = parse_when("2026-11-23T11:05:00Z", NOW)
    assert texts(select(LINES)) == [f"line {m}" for m in range(6)]
    assert texts(select(LINES, since=since)) == ["line 2", "line 3", "line 4", "line 5"]
    assert texts(select(LINES, since=since, until=until)) == ["line 2", "line 3", "line 4"]
    assert texts(select(LINES, tail=2)) == ["line 4", "line 5"]
    assert texts(select(LINES, tail=2, until=until)) == ["line 3", "line 4"]
    assert select(LINES, tail=0) == []
    assert texts(select(LINES, tail=100)) == texts(LINES)
