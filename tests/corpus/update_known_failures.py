"""Rewrite known_failures.txt from the harness, keeping the reasons already written.

Run: .venv/bin/python -m tests.corpus.update_known_failures
"""

from __future__ import annotations

from tests.corpus.harness import cases, judge_case
from tests.corpus.test_corpus import KNOWN_FAILURES_FILE, known_failures


def main() -> None:
    reasons = known_failures()
    lines = ["# Corpus runs that fail today, each with why (see the issue note).",
             "# Format: case :: run [kind]  # reason"]
    for case_dir in cases():
        for verdict in judge_case(case_dir):
            if verdict.status == "fail":
                key = f"{verdict.case} :: {verdict.run}"
                reason = reasons.get(key) or f"TODO: {verdict.detail[:150]}"
                lines.append(f"{key}  # {reason}")
    KNOWN_FAILURES_FILE.write_text("\n".join(lines) + "\n")
    print(f"{len(lines) - 2} known failures")


if __name__ == "__main__":
    main()
