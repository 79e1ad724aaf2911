"""The volume store on disk (synchronous; callers run it in a thread).

``<root>/volumes/<name>/volume.json`` is the record, written atomically before
the data directory ``_data`` is made and removed only after the data is gone, so
an interrupted create or remove leaves a volume that ``volume ls`` shows and
``volume rm`` finishes.  Nothing here deletes anything but the one directory of
the volume it is asked to remove.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from common.paths import Layout
from common.records import VolumeRecord
from common.statefiles import read_json, write_json

RECORD = "volume.json"
DATA = "_data"


def directory(layout: Layout, name: str) -> Path:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"invalid volume name {name!r}")
    return layout.volumes / name


def data_dir(layout: Layout, name: str) -> Path:
    return directory(layout, name) / DATA


def read(layout: Layout, name: str) -> VolumeRecord | None:
    try:
        return VolumeRecord.from_json(read_json(directory(layout, name) / RECORD))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def list_volumes(layout: Layout) -> dict[str, VolumeRecord]:
    found: dict[str, VolumeRecord] = {}
    try:
        names = sorted(os.listdir(layout.volumes))
    except FileNotFoundError:
        return found
    for name in names:
        record = read(layout, name)
        if record is not None:
            found[name] = record
    return found


def create(layout: Layout, record: VolumeRecord) -> VolumeRecord:
    """Make the volume unless it exists; the record of the one that is there."""
    existing = read(layout, record.name)
    path = directory(layout, record.name)
    if existing is None:
        path.mkdir(parents=True, exist_ok=True)
        write_json(path / RECORD, record.to_json())
        existing = record
    (path / DATA).mkdir(mode=0o755, exist_ok=True)
    return existing


def remove(layout: Layout, name: str) -> None:
    path = directory(layout, name)
    shutil.rmtree(path / DATA, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (path / RECORD).unlink()
    shutil.rmtree(path, ignore_errors=True)


def is_empty(path: Path) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except FileNotFoundError:
        return True


def disk_usage(path: Path) -> int:
    """Bytes used by the files under ``path`` (hard links counted once)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total
