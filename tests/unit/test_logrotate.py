"""Keeping the log files conmon replaces past its size cap."""

from __future__ import annotations

from pathlib import Path

from compose.planning.supervision import max_files
from runtime.oci.logrotate import keep_rotated, rotated


def replace_with(log: Path, text: str) -> None:
    """What conmon does past its cap: a new file renamed over the log."""
    fresh = log.with_name("tmp")
    fresh.write_text(text)
    fresh.rename(log)


def test_replaced_files_are_kept_newest_first_up_to_max_files(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    log.write_text("gen 0\n")
    assert not keep_rotated(log, 3)  # the live name is made
    for generation in range(1, 5):
        with open(log, "a") as handle:
            handle.write("more\n")  # conmon keeps appending to the same file
        assert not keep_rotated(log, 3)
        replace_with(log, f"gen {generation}\n")
        assert keep_rotated(log, 3)
    assert log.read_text() == "gen 4\n"
    assert [p.name for p in rotated(log, 100)] == ["ctr.log.2", "ctr.log.1"]
    assert (tmp_path / "ctr.log.1").read_text() == "gen 3\nmore\n"
    assert (tmp_path / "ctr.log.2").read_text() == "gen 2\nmore\n"


def test_one_file_keeps_nothing(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    log.write_text("a\n")
    keep_rotated(log, 1)
    replace_with(log, "b\n")
    assert keep_rotated(log, 1)
    assert rotated(log, 100) == []


def test_max_files_from_the_logging_options() -> None:
    assert max_files(None) == 5
    assert max_files({"options": {"max-file": "3"}}) == 3
    assert max_files({"options": {"max-file": "zero"}}) == 5
    assert max_files({"options": {"max-file": "0"}}) == 1
