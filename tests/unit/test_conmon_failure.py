"""What a process that failed without a word is said to have met: a full disk
(common/errors.py ``full_disk``), else for conmon its last words
(runtime/oci/runtime.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common.errors import HostError, RuntimeFailure
from runtime.oci.runtime import conmon_failure


def _statvfs(free_blocks: int, free_inodes: int = 1000) -> os.statvfs_result:
    # f_bsize f_frsize f_blocks f_bfree f_bavail f_files f_ffree f_favail f_flag f_namemax
    return os.statvfs_result((4096, 4096, 4096, free_blocks, free_blocks, 2000, free_inodes,
                              free_inodes, 0, 255))


def test_on_a_full_disk_conmon_is_said_to_have_found_no_space(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """conmon writes nothing on a full disk, not even why it failed."""
    monkeypatch.setattr(os, "statvfs", lambda path: _statvfs(free_blocks=3))
    error = conmon_failure("full-b-1", tmp_path, 1)
    assert isinstance(error, HostError)
    assert str(error).startswith("conmon failed for full-b-1 (exit 1): No space left on device")
    monkeypatch.setattr(os, "statvfs", lambda path: _statvfs(free_blocks=10_000, free_inodes=0))
    assert isinstance(conmon_failure("full-b-1", tmp_path, 1), HostError)  # no inodes left


def test_otherwise_conmon_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "statvfs", lambda path: _statvfs(free_blocks=10_000))
    assert str(conmon_failure("web-1", tmp_path, 1)) == "conmon failed for web-1 (exit 1)"
    (tmp_path / "conmon.err").write_text("[conmon:e]: starting\n[conmon:e]: runtime gone\n")
    error = conmon_failure("web-1", tmp_path, 1)
    assert isinstance(error, RuntimeFailure)
    assert str(error) == "conmon failed for web-1 (exit 1): [conmon:e]: runtime gone"
    earlier = (tmp_path / "conmon.err").stat().st_size  # an earlier run's words are not
    assert str(conmon_failure("web-1", tmp_path, 1, earlier)) == \
        "conmon failed for web-1 (exit 1)"
