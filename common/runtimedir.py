"""Tidying a root's runtime directory once its last container is gone.

``down`` leaves no trace of a project; when no project of the root has a
container left, the runtime directory's idle lock files and empty directories go
too, and the directory itself (the runtime choice, which holds for the whole boot,
is kept outside it: ``Layout.runtime_choice``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from common import state
from common.locks import remove_if_idle
from common.paths import Layout

LOCK_DIRECTORIES = ("locks", "supervisors")


def tidy(layout: Layout) -> None:
    """Remove what is idle or empty under ``layout.run``, if the root has no
    containers; anything in use (a held lock, a mount, a file) is left."""
    if state.container_records(layout):
        return
    for name in LOCK_DIRECTORIES:
        for lock in sorted((layout.run / name).glob("*.lock")):
            remove_if_idle(lock)
    if not layout.run.is_dir() or state.container_records(layout):
        return  # looked again: a new container narrows the race to a few syscalls
    for directory in sorted(layout.run.iterdir()):
        if directory.is_dir() and not directory.is_symlink():
            _remove_if_empty(directory)
    _remove_if_empty(layout.run)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty, or a mount point
        directory.rmdir()
