"""A container's directory comes into being with its record in it, as one rename:
a process killed between making the directory and writing the record (found by
the SIGKILL fault walk) leaves only a hidden directory that the next listing of
the containers removes, never a directory that nothing finds."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from common import state, topdir
from common.paths import Layout
from common.records import ContainerRecord


def record(cid: str) -> ContainerRecord:
    return ContainerRecord(id=cid, name=f"p-{cid}", project="p", service="s", number=1,
                           image="i", image_id="sha256:0", config_hash="", created=0.0,
                           command=(), hostname=cid, runtime="runc")


def layout(tmp_path: Path) -> Layout:
    return Layout(tmp_path / "root", tmp_path / "run")


def test_a_born_container_is_listed_and_no_hidden_directory_is_left(tmp_path: Path) -> None:
    here = layout(tmp_path)
    state.give_birth(here, "abc", "container.json", record("abc").to_json())
    assert [r.id for r in state.container_records(here)] == ["abc"]
    assert os.listdir(here.containers) == ["abc"]


def test_an_unborn_directory_of_a_dead_process_is_swept(tmp_path: Path) -> None:
    here = layout(tmp_path)
    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True,
                          check=True).stdout.strip()
    orphan = here.containers / f"{state.UNBORN}abc-{dead}"
    orphan.mkdir(parents=True)  # killed before its record was written
    (orphan / "container.json").write_text("{")  # or while writing it
    assert state.container_records(here) == []
    assert not orphan.exists()


def test_an_unborn_directory_of_a_live_process_is_kept_and_not_listed(tmp_path: Path) -> None:
    here = layout(tmp_path)
    growing = here.containers / f"{state.UNBORN}abc-{os.getpid()}"
    growing.mkdir(parents=True)
    (growing / "container.json").write_text("{")  # another command is making it now
    assert state.container_records(here) == []
    assert growing.exists()


def test_a_failed_first_write_leaves_nothing(tmp_path: Path) -> None:
    here = layout(tmp_path)
    here.containers.mkdir(parents=True)
    try:
        state.give_birth(here, "abc", "container.json", {"bad": {1, 2}})  # not JSON
    except TypeError:
        pass
    else:
        raise AssertionError("a set is not JSON")
    assert os.listdir(here.containers) == []


def test_the_containers_directory_is_marked_the_top_of_its_hierarchies(tmp_path: Path) -> None:
    """So ext4 spreads the containers' directories over its block groups (see
    common.topdir); where the filesystem knows no inode flags there is nothing to see."""
    if topdir.flags(tmp_path) is None:
        pytest.skip("this filesystem has no inode flags")
    here = layout(tmp_path)
    state.give_birth(here, "abc", "container.json", record("abc").to_json())
    flags = topdir.flags(here.containers)
    assert flags is not None and flags & topdir.TOPDIR
    assert not (topdir.flags(here.container_dir("abc")) or 0) & topdir.TOPDIR


def test_marking_where_the_flag_is_refused_is_quietly_nothing(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm")
    directory = Path(tempfile.mkdtemp(dir=shm))
    try:
        topdir.mark(directory)  # tmpfs: no TOPDIR flag, no error
        assert not (topdir.flags(directory) or 0) & topdir.TOPDIR
    finally:
        directory.rmdir()
