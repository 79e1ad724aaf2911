"""``exec`` without a terminal, the short way: the command's own process becomes
the runtime's ``exec`` (execve) before any event loop or backend is imported (the
process spec handed over in a memfd, so nothing is left on disk).

The runtime relays stdio, the signals it gets (each once: the container process
is in a session of its own) and the container process's exit status, which is
then the command's.  Whatever this cannot tell quickly (a runtime other than
runc, a state it cannot read) is ``NotHere``: the caller goes the usual way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence

from common import state
from common.errors import UsageError
from common.paths import Layout
from common.records import ContainerRecord, is_oneoff
from common.statefiles import read_json
from runtime.oci.exec import container_exec_process
from runtime.oci.runcstate import read_state

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class NotHere(Exception):
    """The short way cannot tell: take the usual one."""


def exec_now(layout: Layout, project: str, service: str, index: int,
             args: Sequence[str], *, user: str | None, env: Mapping[str, str],
             cwd: str | None, finish: Callable[[], object]) -> NoReturn:
    """Become the runtime running ``args`` in the service's ``index``-th container,
    once ``finish`` has done what this process must before it ends."""
    record = running_container(layout, project, service, index)
    runtime = _runtime_path(layout, record)
    process = container_exec_process(layout.container_dir(record.id), record, args,
                                     user=user, env=env, cwd=cwd)
    spec = os.memfd_create("exec-process.json", 0)  # inherited by the runtime
    os.write(spec, json.dumps(process).encode())
    finish()
    os.execv(runtime, [runtime, "--root", str(layout.runc_root), "exec",
                       "--process", f"/proc/self/fd/{spec}", record.id])


def running_container(layout: Layout, project: str, service: str,
                      index: int) -> ContainerRecord:
    """The container ``exec`` targets, which must run (the messages of ``pick``)."""
    found = [r for r in state.container_records(layout, project)
             if r.service == service and r.number == index and not is_oneoff(r)]
    if not found:
        if index != 1:
            raise UsageError(f"service {service!r} has no container number {index}")
        raise UsageError(f"service {service!r} is not running")
    record = found[0]
    known = read_state(layout.runc_root, record.id)
    if known is None and (layout.runc_root / record.id).exists():
        raise NotHere  # runc has it, yet its state cannot be read here: ask runc
    status = (known or {}).get("status")
    if status == "paused":
        raise UsageError(f"container {record.name} is paused, unpause the container before exec")
    if status != "running" or (layout.exits / record.id).exists():
        raise UsageError(f"service {service!r} is not running")
    return record


def _runtime_path(layout: Layout, record: ContainerRecord) -> str:
    """The runtime the container was created with (runc only: another may keep its
    state elsewhere)."""
    try:
        options = read_json(layout.container_dir(record.id) / "bundle.json")
    except (FileNotFoundError, ValueError):
        options = {}
    path = str(options.get("runtime") or record.runtime or "")
    if not path:
        try:
            path = layout.runtime_choice.read_text().split("\n", 1)[1].strip()
        except (OSError, IndexError):
            raise NotHere from None
    if os.path.isabs(path):
        found: str | None = path
    else:
        import shutil  # here: its import costs exec -T more than a lookup on PATH

        found = shutil.which(path)
    if found is None or os.path.basename(found) != "runc":
        raise NotHere
    return found
