"""Which log lines ``logs --tail/--since/--until`` shows (pure).

Times are read as docker reads them (``GetTimestamp``): a Go duration (``42m``,
``1h30m``) counts back from now; otherwise RFC 3339 with or without a time of day,
fraction and zone (no zone is UTC), or Unix seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from common.durations import parse_duration
from common.errors import UsageError
from common.status import LogLine


def parse_when(text: str, now: float) -> float:
    """Seconds since the epoch for a ``--since``/``--until`` value."""
    value = text.strip()
    if value and not value[-1].isdigit() and "-" not in value[1:]:
        try:
            return now - parse_duration(value)
        except ValueError:
            pass
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"invalid time {text!r}: use RFC 3339 (2024-01-02T13:23:37Z), "
                         "Unix seconds or a duration such as 42m") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse_tail(text: str) -> int | None:
    """``--tail``: a line count, or ``all`` (None)."""
    if text == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        raise UsageError(f"invalid --tail value {text!r}: a number or all") from None
    return None if count < 0 else count


def line_time(line: LogLine) -> float:
    try:
        return datetime.fromisoformat(line.time).timestamp()
    except ValueError:
        return 0.0


def select(lines: Sequence[LogLine], *, tail: int | None = None, since: float | None = None,
           until: float | None = None) -> list[LogLine]:
    """One container's lines inside [since, until), then its last ``tail``."""
    chosen = [line for line in lines
              if (since is None or line_time(line) >= since)
              and (until is None or line_time(line) < until)]
    if tail is not None:
        chosen = chosen[len(chosen) - tail:] if tail else []
    return chosen
