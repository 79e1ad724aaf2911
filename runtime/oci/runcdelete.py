"""``runc delete`` of a stopped container without a runc process: for a container
whose init is gone, runc removes its cgroups (retrying while the last processes
leave them) and its state directory, nothing else (libcontainer's ``destroy``
with the fs cgroup manager: ``cgroups.RemovePaths``, then ``os.RemoveAll``).
Done here, a removal costs no Go process (20-30 ms each, and its CPU: every
``down``, ``run --rm`` and ``rm``).

Only what is known is done here: a container still running or created, one
without a PID namespace of its own (runc kills whatever is left in its cgroup),
with OCI hooks (runc runs ``poststop``) or Intel RDT, or without a readable state
file, is the runtime's (``OciRuntime.delete``).  Synchronous: for a worker thread.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from pathlib import Path

from runtime.oci.runcstate import init_alive, state_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RETRIES = 5
FIRST_DELAY = 0.01
"""runc's: five passes over the cgroups, 10 ms apart and doubling."""


def delete_stopped(root: Path, container_id: str) -> bool:
    """Remove a stopped runc container; False when the runtime must do it."""
    try:
        state = json.loads(state_file(root, container_id).read_bytes())
    except (OSError, ValueError):
        return False
    if init_alive(state.get("init_process_pid"), state.get("init_process_start")):
        return False  # created, running or paused (runcstate.read_state's "stopped")
    if not _plain(state):
        return False
    remove_cgroups(dict(state.get("cgroup_paths") or {}))
    shutil.rmtree(root / container_id, ignore_errors=True)
    return True


def _plain(state: dict[str, Any]) -> bool:
    """Nothing for runc to do beyond the cgroups and the directory."""
    config = state.get("config") or {}
    namespaces = config.get("namespaces") or []
    own_pids = any(n.get("type") == "NEWPID" and not n.get("path") for n in namespaces)
    hooks = config.get("Hooks") or config.get("hooks") or {}
    return own_pids and not any(hooks.values()) and not state.get("intel_rdt_path")


def remove_cgroups(paths: dict[str, str]) -> bool:
    """Remove each cgroup directory (children first), passing over them again
    while some stay busy; False if some are left after the last pass (runc then
    goes on and deletes the container anyway)."""
    delay = FIRST_DELAY
    for attempt in range(RETRIES):
        if attempt:
            time.sleep(delay)
            delay *= 2
        for key, path in list(paths.items()):
            _remove_tree(path)
            if not os.path.exists(path):
                del paths[key]
        if not paths:
            return True
    return False


def _remove_tree(path: str) -> None:
    """A cgroup and the cgroups under it, deepest first (cgroupfs rmdir only)."""
    try:
        os.rmdir(path)
        return
    except FileNotFoundError:
        return
    except OSError:
        pass  # busy, or children of its own
    try:
        children = [entry.path for entry in os.scandir(path) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for child in children:
        _remove_tree(child)
    with contextlib.suppress(OSError):
        os.rmdir(path)
