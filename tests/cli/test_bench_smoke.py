"""Keeps the benchmark entry point from rotting: ``bench/all.py --quick`` runs the
loader benchmark once and prints the table.  No figure is checked: benchmarks
are not tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_run_prints_one_table() -> None:
    result = subprocess.run([sys.executable, str(REPO / "bench" / "all.py"), "--quick"],
                            capture_output=True, text=True, timeout=120, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Measured ")
    assert lines[2].startswith("| figure | pycompose median |")
    loader = next(line for line in lines if line.startswith("| 6. load"))
    assert "not available" not in loader
