"""The benchmarks' markdown table (bench/common.py): what each cell shows."""

from __future__ import annotations

from bench.common import HEADER, Figure, table


def rows(*figures: Figure) -> list[str]:
    text = table(figures)
    assert text.startswith(HEADER)
    return text.splitlines()[2:]


def test_median_peer_ratio_min_max_runs() -> None:
    [row] = rows(Figure("1. up", "s", [0.5, 0.2, 0.4], "podman-compose", [4.0, 2.0, 3.0],
                        note="target"))
    assert row == ("| 1. up | 0.400 s | podman-compose | 3.00 s | 0.13x | 0.200–0.500 "
                   "| 2.00–4.00 | 3/3 | target |")


def test_without_peer() -> None:
    [row] = rows(Figure("4. rss", "MB", [41.25, 40.0, 120.0]))
    assert row == "| 4. rss | 41.2 MB | — | — | — | 40.0–120 | — | 3 |  |"


def test_not_available() -> None:
    [row] = rows(Figure.unavailable("build", "not landed yet"))
    assert row == "| build | not available | — | — | — | — | — | — | not landed yet |"


def test_empty_samples_are_not_available() -> None:
    [row] = rows(Figure("2. healthy", "s", [], "podman", []))
    assert "not available" in row


def test_zero_peer_median_gives_no_ratio() -> None:
    [row] = rows(Figure("x", "%", [1.0], "peer", [0.0]))
    assert "| 0 % | — |" in row
