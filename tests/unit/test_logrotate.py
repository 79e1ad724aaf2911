"""Rotating a container's log: the supervisor moves files, conmon starts anew."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.logoptions import max_files, max_size
from runtime.oci.logrotate import backstop, due, rotate, rotated


def test_rotation_keeps_newest_first_up_to_max_files(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    log.write_text("gen 0\n")
    for generation in range(1, 5):
        rotate(log, 3)
        log.write_text(f"gen {generation}\n")  # what conmon starts after a reopen
    assert log.read_text() == "gen 4\n"
    assert [p.name for p in rotated(log, 100)] == ["ctr.log.2", "ctr.log.1"]
    assert (tmp_path / "ctr.log.1").read_text() == "gen 3\n"
    assert (tmp_path / "ctr.log.2").read_text() == "gen 2\n"


def test_writes_after_the_move_land_in_the_kept_file(tmp_path: Path) -> None:
    """conmon's open file moves with its name: what it writes before it starts the
    new file is in ``.1``, not lost."""
    log = tmp_path / "ctr.log"
    with open(log, "a") as writer:
        writer.write("before\n")
        writer.flush()
        rotate(log, 2)
        writer.write("between\n")
    assert (tmp_path / "ctr.log.1").read_text() == "before\nbetween\n"
    assert not log.exists()


def test_due_at_the_cap(tmp_path: Path) -> None:
    log = tmp_path / "ctr.log"
    assert not due(log, 10)  # no file yet
    log.write_text("x" * 9)
    assert not due(log, 10)
    log.write_text("x" * 10)
    assert due(log, 10)


def test_conmon_caps_alone_only_one_file_or_past_the_whole_budget() -> None:
    assert backstop(1000, 1) == 1000
    assert backstop(1000, 5) == 5000


def test_max_files_from_the_logging_options() -> None:
    assert max_files(None) == 5
    assert max_files({"options": {"max-file": "3"}}) == 3
    assert max_files({"options": {"max-file": "zero"}}) == 5
    assert max_files({"options": {"max-file": "0"}}) == 1


@pytest.mark.parametrize(("logging", "cap"), [
    (None, 20 << 20), ({"driver": "json-file"}, 20 << 20),
    ({"options": {"max-size": "10k"}}, 10 * 1024), ({"options": {"max-size": "1m"}}, 1 << 20),
    ({"options": {"max-size": "-1"}}, 20 << 20), ({"options": {"max-size": "lots"}}, 20 << 20),
])
def test_log_size_cap_from_the_logging_options(logging: object, cap: int) -> None:
    assert max_size(logging) == cap
