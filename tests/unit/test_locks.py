"""common/locks.py: lock files that can be removed while idle, without two holders."""

from __future__ import annotations

import os
from pathlib import Path

from common.locks import remove_if_idle, try_lock


def test_a_held_lock_is_busy_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "locks" / "p.lock"
    fd = try_lock(path)
    assert fd is not None
    try:
        assert try_lock(path) is None  # flock is per open file: a second open is refused
        assert not remove_if_idle(path)
        assert path.exists()
    finally:
        os.close(fd)
    assert remove_if_idle(path)
    assert not path.exists()
    assert remove_if_idle(path)  # already gone


def test_a_lock_on_a_removed_file_does_not_count(tmp_path: Path) -> None:
    """Who opened the file before it was removed locks the path's new file, so a
    newcomer and it never both hold "the" lock."""
    path = tmp_path / "p.lock"
    stale = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        assert remove_if_idle(path)
        fd = try_lock(path)  # makes and locks a new file
        assert fd is not None and path.exists()
        assert os.fstat(fd).st_ino != os.fstat(stale).st_ino
        assert try_lock(path) is None
        os.close(fd)
    finally:
        os.close(stale)
