"""Atomic state files: write a temporary file, fsync, rename, fsync the directory.

A crash at any point leaves either the old content or the new, never a torn file.
Several files of one directory can share the directory's fsync (``sync_dir=False``
for all but the last, or ``sync_directory`` once): a container's bundle is a
handful of files whose record comes last.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from common import faults
from common.errors import host_error

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def write_atomic(path: str | os.PathLike[str], data: bytes, mode: int = 0o644, *,
                 sync_dir: bool = True, make_parent: bool = True) -> None:
    """Write temp, fsync, rename.  Without ``make_parent`` a missing directory is
    FileNotFoundError: a file about something another process may be removing (a
    container's state) must never bring its directory back.  A full disk or a
    read-only filesystem is a HostError naming the file; the old content stays."""
    target = Path(path)
    faults.step(f"write {target.parent.name}/{target.name}")
    try:
        _replace(target, data, mode, make_parent)
    except OSError as exc:
        error = host_error(exc, f"cannot write {target}")
        if error is None:
            raise
        raise error from exc
    if sync_dir:
        sync_directory(target.parent)


def _replace(target: Path, data: bytes, mode: int, make_parent: bool) -> None:
    import tempfile  # here: commands that only read state (exec -T) start without it

    if make_parent:
        target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.rename(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def sync_directory(path: str | os.PathLike[str]) -> None:
    """Make the renames done in ``path`` durable."""
    dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_json(path: str | os.PathLike[str], value: Any, *, sync_dir: bool = True,
               compact: bool = False, make_parent: bool = True) -> None:
    """``compact``: for machines only (an OCI config), no indentation to encode."""
    write_atomic(path, json_bytes(value, compact=compact), sync_dir=sync_dir,
                 make_parent=make_parent)


def json_bytes(value: Any, *, compact: bool = False) -> bytes:
    """A state file's bytes as ``write_json`` writes them."""
    text = json.dumps(value, separators=(",", ":")) if compact else \
        json.dumps(value, indent=2, sort_keys=True)
    return (text + "\n").encode()


def mtime(path: Path) -> float | None:
    """When a state file was last written; None when there is none."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return None


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
