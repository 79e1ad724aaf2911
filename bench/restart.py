"""Figure 3: restart latency, from a container's exit to its replacement running
(``restart: always``, the first restart).

Each round brings up one busybox service running ``sleep 3600``, kills its
process with SIGKILL from the host (the clock starts just before the kill) and
stops the clock at the time the supervisor records the replacement's ``start``
event, written once ``runc start`` has returned (``pycompose events --json``).
The round ends with ``down``, so every kill meets a first restart: Docker's
back-off waits 100 ms before it, and so does pycompose.  The peer: podman with
``--restart always`` (restarted by ``podman container cleanup``, run by conmon at
the exit, with no back-off), timed from the kill to its ``start`` event.  Needs
root; scratch state root and namespace.

Run: .venv/bin/python bench/restart.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Figure,
    Scratch,
    events,
    main,
    need_root,
    peers_missing,
    scratch,
    wait_for,
)
from common.paths import Layout

COMPOSE = """name: restartbench
services:
  r:
    image: busybox
    restart: always
    command: ["sleep", "3600"]
"""


def _container_pid(space: Scratch) -> tuple[str, int]:
    layout = Layout.from_environ(space.env)
    record = next(layout.containers.glob("*/container.json"))
    container = record.parent.name
    state = subprocess.run(["runc", "--root", str(layout.runc_root), "state", container],
                           capture_output=True, text=True, check=True)
    return container, int(json.loads(state.stdout)["pid"])


def _round(space: Scratch, project: Path) -> float:
    space.pycompose("up", "-d", cwd=project)
    container, pid = _container_pid(space)
    seen = len(events(space, "restartbench"))
    started = time.time()
    os.kill(pid, signal.SIGKILL)

    def restarted() -> float | None:
        return next((t for t, action, ident in events(space, "restartbench")[seen:]
                     if action == "start" and ident == container), None)

    at = wait_for(restarted, 30, "the restart")
    space.pycompose("down", "-t", "0", cwd=project)
    return at - started


def _podman_round(space: Scratch, name: str) -> float:
    podman = space.inside("podman")
    subprocess.run([*podman, "run", "-d", "--name", name, "--restart", "always",
                    "localhost/busybox:latest", "sleep", "3600"],
                   check=True, capture_output=True)
    try:
        def pid() -> int:
            out = subprocess.run([*podman, "inspect", "-f", "{{.State.Pid}}", name],
                                 capture_output=True, text=True, check=True).stdout
            return int(out.strip() or 0)

        first = pid()
        started = time.time()
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: pid() not in (0, first), 30, "podman's restart", interval=0.1)
        out = subprocess.run([*podman, "events", "--stream=false", "--since",
                              str(int(started) - 1), "--filter", f"container={name}",
                              "--filter", "event=start", "--format", "json"],
                             capture_output=True, text=True, check=True).stdout
        times = []
        for line in out.splitlines():
            entry = json.loads(line)
            moment = entry.get("time") or entry.get("Time")
            if isinstance(moment, int | float):
                stamp = float(moment)
            else:
                stamp = datetime.fromisoformat(str(moment)).timestamp()
            times.append(stamp)
        after = [t for t in times if t >= started]
        if not after:
            raise RuntimeError(f"no podman start event after the kill: {out[-300:]}")
        return min(after) - started
    finally:
        subprocess.run([*podman, "rm", "-f", "-t", "0", name], capture_output=True)


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/restart.py")
    missing = peers_missing()
    with scratch() as space:
        project = space.project("restartbench", COMPOSE)
        _round(space, project)  # warm-up
        ours = [_round(space, project) for _ in range(rounds)]
        theirs: list[float] = []
        note = "includes Docker's 100 ms first back-off; target ≤ back-off + 30 ms"
        if not missing:
            try:
                _podman_round(space, "pcbench-restart")
                theirs = [_podman_round(space, "pcbench-restart") for _ in range(rounds)]
            except (RuntimeError, subprocess.CalledProcessError, ValueError) as exc:
                note += f"; podman: {str(exc)[:120]}"
        else:
            note += f"; {missing}"
    return [Figure("3. restart latency: exit → replacement running", "s", ours, "podman",
                   theirs, note=note)]


if __name__ == "__main__":
    main(measure, 5, __doc__)
