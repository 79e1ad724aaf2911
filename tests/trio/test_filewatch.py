"""FileWatch: inotify waits, with instances reused instead of closed (a close
waits for the kernel's grace period, on the supervisor's restart path)."""

from __future__ import annotations

import os
from pathlib import Path

import trio

from common.filewatch import DIRECTORY_CHANGES, FileWatch, _instances


async def test_a_change_wakes_the_watch(tmp_path: Path) -> None:
    with FileWatch(tmp_path, DIRECTORY_CHANGES) as changes:
        (tmp_path / "pid").write_text("1")
        with trio.fail_after(5):
            await changes.changed()


async def test_an_instance_is_reused_without_the_last_watchs_events(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    with FileWatch(old, DIRECTORY_CHANGES) as first:
        (old / "a").write_text("x")  # queued, never read by this watch
        fd = first.fd
    assert fd in _instances.free  # kept, not closed
    with FileWatch(new, DIRECTORY_CHANGES) as second:
        assert second.fd == fd
        with trio.move_on_after(0.2) as quiet:
            await second.changed()  # the old watch's event is not seen
        assert quiet.cancelled_caught
        (new / "b").write_text("y")
        with trio.fail_after(5):
            await second.changed()


async def test_a_removed_directory_wakes_its_watch_and_frees_it(tmp_path: Path) -> None:
    directory = tmp_path / "gone"
    directory.mkdir()
    with FileWatch(directory, DIRECTORY_CHANGES) as changes:
        directory.rmdir()
        with trio.fail_after(5):
            await changes.changed()
    with FileWatch(tmp_path, DIRECTORY_CHANGES) as again:  # its instance works on
        (tmp_path / "c").write_text("z")
        with trio.fail_after(5):
            await again.changed()


def test_a_forked_child_keeps_none_of_the_parents_instances(tmp_path: Path) -> None:
    with FileWatch(tmp_path):
        pass
    assert _instances.free
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child says how many instances it was left
        os.write(write, str(len(_instances.free)).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"0"
    os.close(read)
