"""compose/cli/views/humanize.py: docker/go-units HumanDuration and docker's time format."""

from __future__ import annotations

import pytest

from compose.cli.views.humanize import docker_time, human_duration

MINUTE, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "Less than a second"),
        (0, "Less than a second"),
        (0.999, "Less than a second"),
        (1, "1 second"),
        (1.999, "1 second"),
        (2, "2 seconds"),
        (5, "5 seconds"),
        (59.9, "59 seconds"),
        (60, "About a minute"),
        (119, "About a minute"),
        (120, "2 minutes"),
        (59 * MINUTE + 59, "59 minutes"),
        (HOUR, "About an hour"),
        (HOUR + 29 * MINUTE, "About an hour"),
        (HOUR + 30 * MINUTE, "2 hours"),  # hours are rounded
        (5 * HOUR, "5 hours"),
        (47 * HOUR, "47 hours"),
        (47 * HOUR + 29 * MINUTE, "47 hours"),
        (47 * HOUR + 30 * MINUTE, "2 days"),
        (48 * HOUR, "2 days"),
        (13 * DAY, "13 days"),
        (14 * DAY, "2 weeks"),
        (59 * DAY, "8 weeks"),
        (60 * DAY, "2 months"),
        (364 * DAY, "12 months"),
        (729 * DAY, "24 months"),
        (730 * DAY, "2 years"),
        (10 * 365 * DAY, "10 years"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_human_duration_years_use_unrounded_hours() -> None:
    assert human_duration(3 * 365 * DAY - 18 * MINUTE) == "2 years"


@pytest.mark.parametrize(
    ("timestamp", "text"),
    [
        (0, "1970-01-01 00:00:00 +0000 UTC"),
        (1_795_435_817.9, "2026-11-23 12:10:17 +0000 UTC"),
        (951_782_400, "2000-02-29 00:00:00 +0000 UTC"),
    ],
)
def test_docker_time(timestamp: float, text: str) -> None:
    assert docker_time(timestamp) == text
