"""A container's state written while another process removes the container never
brings its directory back (the leftover container directories seen after a
scale-down or a rolled-back update)."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.statefiles import write_atomic
from compose.engine import runstate
from compose.engine.runstate import HealthState, RestartState


def test_health_and_restart_of_a_removed_container_are_dropped(tmp_path: Path) -> None:
    gone = tmp_path / "containers" / "abc"
    runstate.write_health(gone, HealthState("healthy", 0, ()))
    runstate.write_restart(gone, RestartState())
    assert not gone.exists()


def test_state_of_a_present_container_is_written(tmp_path: Path) -> None:
    runstate.write_health(tmp_path, HealthState("unhealthy", 3, ()))
    assert runstate.read_health(tmp_path) == HealthState("unhealthy", 3, ())


def test_write_atomic_without_make_parent_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "f", b"x", make_parent=False)
    assert not (tmp_path / "missing").exists()
    write_atomic(tmp_path / "made" / "f", b"x")
    assert (tmp_path / "made" / "f").read_bytes() == b"x"
