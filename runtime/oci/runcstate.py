"""A runc container's state read from runc's own state directory, as ``runc state``
computes it, without running runc: ``status`` is asked for on every ``ps``, every
start and by the supervisor, and each ``runc state`` is a process of its own.

runc (libcontainer's ``currentStatus``): the container is ``stopped`` when its init
process is gone (or is another process now: the start time differs, or it is a
zombie), ``created`` while ``exec.fifo`` exists (``runc start`` has not run),
``paused`` when its freezer cgroup is frozen, else ``running``.  Only runc's layout
is known here; other runtimes are asked with ``state`` (``OciRuntime.state``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from common.filecache import FileCache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


@dataclass(frozen=True)
class _Essentials:
    """What the status needs of runc's ``state.json`` (which also holds the whole
    config, seccomp profile included: tens of kilobytes to decode).  A dataclass,
    not a NamedTuple: making one of those is 0.9 ms of ``exec -T``'s start."""

    pid: object
    start: object
    cgroup_paths: dict[str, str]


def state_file(root: Path, container_id: str) -> Path:
    """Where runc keeps a container's state: without it, runc knows no such container."""
    return root / container_id / "state.json"


def read_state(root: Path, container_id: str) -> dict[str, Any] | None:
    """``{"id", "pid", "status"}`` as ``runc state`` prints them; None when runc
    knows no such container (or its state file cannot be read: ask runc)."""
    directory = root / container_id
    try:
        essentials = _read.get(state_file(root, container_id))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    pid = essentials.pid
    if not init_alive(pid, essentials.start):
        status = "stopped"
    elif (directory / "exec.fifo").exists():
        status = "created"
    elif _frozen(essentials.cgroup_paths):
        status = "paused"
    else:
        status = "running"
    return {"id": container_id, "pid": pid if status != "stopped" else 0, "status": status}


def _decoded(raw: bytes) -> _Essentials:
    essentials = _skimmed(raw)
    if essentials is None:
        data = json.loads(raw)
        essentials = _Essentials(data.get("init_process_pid"), data.get("init_process_start"),
                                 data.get("cgroup_paths") or {})
    return essentials


_read = FileCache(_decoded)
"""Decoded state files by version (``common/filecache.py``): runc replaces the file
(a rename) whenever it changes it.  The supervisor asks for containers' statuses
at each start, exit and rebuild of its name table."""


_HEAD_END = b',"created":'
_CGROUPS = b',"cgroup_paths":'
_CGROUPS_END = b',"namespace_paths":'


def _skimmed(raw: bytes) -> _Essentials | None:
    """The essentials without decoding the config between them (0.007 ms against
    0.32 for the whole file): runc writes the state's fields in its struct's order,
    the id, pid and start time first, then ``created`` and the config, then the
    cgroup paths and the namespace paths.  None when the file is not laid out so."""
    head_end = raw.find(_HEAD_END)
    start = raw.rfind(_CGROUPS)
    end = raw.find(_CGROUPS_END, start)
    if head_end < 0 or start < head_end or end < 0:
        return None
    try:
        head = json.loads(raw[:head_end] + b"}")
        cgroups = json.loads(raw[start + len(_CGROUPS):end])
    except ValueError:
        return None
    if not isinstance(head, dict) or not isinstance(cgroups, dict) \
            or not isinstance(head.get("init_process_pid"), int):
        return None
    return _Essentials(head["init_process_pid"], head.get("init_process_start"), cgroups)


async def wait_started(root: Path, container_id: str) -> None:
    """Until the container is past runc's "created" (``up`` between ``runc create``
    and ``runc start``): ``runc start`` removes the state directory's
    ``exec.fifo``.  At once if there is no such directory (gone, or another
    runtime's layout)."""
    from common.filewatch import REMOVALS, FileWatch  # trio: not for ``exec``'s short way

    directory = root / container_id
    fifo = directory / "exec.fifo"
    try:
        with FileWatch(directory, REMOVALS) as changes:
            while fifo.exists():
                await changes.changed()
    except OSError:
        return


async def wait_made(root: Path, container_id: str) -> None:
    """Until a ``runc create`` under way has written the container's state file,
    from before it has made the container's directory: its making is awaited in
    ``root`` (made here, as runc makes it, if need be), then ``wait_created``.
    Never returns if no ``runc create`` makes it: the caller also waits for the
    process that runs runc (conmon) to end."""
    from common.filewatch import DIRECTORY_CHANGES, FileWatch

    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    directory = root / container_id
    with FileWatch(root, DIRECTORY_CHANGES) as changes:
        while not directory.is_dir():
            await changes.changed()
    await wait_created(root, container_id)


async def wait_created(root: Path, container_id: str) -> None:
    """Until a ``runc create`` under way has written the container's state file (it
    makes the directory, and exec.fifo, first), or the directory is gone."""
    from common.filewatch import DIRECTORY_CHANGES, REMOVALS, FileWatch

    directory = root / container_id
    try:
        with FileWatch(directory, DIRECTORY_CHANGES | REMOVALS) as changes:
            while directory.is_dir() and not state_file(root, container_id).exists():
                await changes.changed()
    except OSError:
        return


def init_alive(pid: object, start: object) -> bool:
    """The init process still runs: same start time, neither zombie nor dead (runc's
    "stopped" is its opposite)."""
    if not isinstance(pid, int):
        return False
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    fields = parse_stat(text)
    return fields is not None and fields[0] not in ("Z", "X") and str(fields[1]) == str(start)


def parse_stat(text: str) -> tuple[str, int] | None:
    """A process's state letter and start time (clock ticks after boot) from its
    ``/proc/<pid>/stat`` (the command name may hold spaces and parentheses)."""
    _, _, rest = text.rpartition(")")
    fields = rest.split()
    if len(fields) < 20:
        return None
    return fields[0], int(fields[19])


def _frozen(paths: dict[str, str]) -> bool:
    freezer = paths.get("freezer")
    try:
        if freezer:
            return Path(freezer, "freezer.state").read_text().strip() == "FROZEN"
        unified = paths.get("")
        if unified:
            return Path(unified, "cgroup.freeze").read_text().strip() == "1"
    except OSError:
        return False
    return False
