"""Prints the corpus table at the end of the session."""

from __future__ import annotations

import pytest

from tests.corpus.test_corpus import RESULTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("conformance corpus")
    by_case: dict[str, dict[str, int]] = {}
    for verdict in RESULTS:
        counts = by_case.setdefault(verdict.case, {"pass": 0, "fail": 0, "skip": 0})
        counts[verdict.status] += 1
    write(f"{'case':52} pass fail skip")
    for case, counts in sorted(by_case.items()):
        write(f"{case:52} {counts['pass']:4} {counts['fail']:4} {counts['skip']:4}")
    total = {s: sum(c[s] for c in by_case.values()) for s in ("pass", "fail", "skip")}
    judged = total["pass"] + total["fail"]
    write(f"runs judged: {judged}, passed: {total['pass']}, failed (known): {total['fail']}, "
          f"skipped (need containers or data tables): {total['skip']}")
