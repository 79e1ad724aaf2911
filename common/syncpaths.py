"""What ``watch`` asks a container backend to make the same inside a container:
the values crossing the ``ContainerBackend.sync`` seam."""

from __future__ import annotations

from dataclasses import dataclass

FILE, DIRECTORY, MISSING = "file", "directory", "missing"
"""What a changed path is on the host when the batch is handled (``lstat``): a
file (or link, or node), a directory, or nothing (it was deleted)."""


@dataclass(frozen=True, order=True)
class SyncEntry:
    """One path to make the same in the container: copy a file, make a directory,
    or delete (``kind`` MISSING) what is there."""

    container: str
    host: str
    kind: str
