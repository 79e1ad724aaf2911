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
from pathlib import Path
from typing import Any


def read_state(root: Path, container_id: str) -> dict[str, Any] | None:
    """``{"id", "pid", "status"}`` as ``runc state`` prints them; None when runc
    knows no such container (or its state file cannot be read: ask runc)."""
    directory = root / container_id
    try:
        data = json.loads((directory / "state.json").read_bytes())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    pid = data.get("init_process_pid")
    start = data.get("init_process_start")
    if not isinstance(pid, int) or not _alive(pid, start):
        status = "stopped"
    elif (directory / "exec.fifo").exists():
        status = "created"
    elif _frozen(data.get("cgroup_paths") or {}):
        status = "paused"
    else:
        status = "running"
    return {"id": container_id, "pid": pid if status != "stopped" else 0, "status": status}


def _alive(pid: int, start: object) -> bool:
    """The init process still runs: same start time, neither zombie nor dead."""
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
