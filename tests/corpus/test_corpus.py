"""Every ``config`` run of the conformance corpus, judged by ``harness.py``.

A run listed in ``known_failures.txt`` (with the reason) is expected to fail:
the test fails when it starts passing, so the list only ever shrinks.  The
per-run table and the pass count are printed at the end of the test session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.harness import Verdict, cases, judge_case

KNOWN_FAILURES_FILE = Path(__file__).with_name("known_failures.txt")
RESULTS: list[Verdict] = []


def known_failures() -> dict[str, str]:
    """``case :: run [kind]  # reason`` lines."""
    known = {}
    if KNOWN_FAILURES_FILE.exists():
        for line in KNOWN_FAILURES_FILE.read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            key, _, reason = line.partition("  # ")
            known[key.strip()] = reason.strip()
    return known


@pytest.mark.skipif(not cases(), reason="the corpus (../shared/corpus) is not present")
@pytest.mark.parametrize("case_dir", cases(), ids=lambda p: p.name)
def test_corpus_case(case_dir: Path) -> None:
    verdicts = judge_case(case_dir)
    RESULTS.extend(verdicts)
    known = known_failures()
    unexpected = []
    for verdict in verdicts:
        key = f"{verdict.case} :: {verdict.run}"
        if verdict.status == "fail" and key not in known:
            unexpected.append(f"{verdict.run}: {verdict.detail}")
        if verdict.status == "pass" and key in known:
            unexpected.append(f"{verdict.run}: passes now; remove it from known_failures.txt")
    assert not unexpected, "\n".join(unexpected)
