"""Figure 2: time from ``up -d`` to all of 5 services healthy (health check
``true`` every 1 s).

The clock starts as ``up -d`` is launched and stops at the time the supervisor
records the fifth ``health_status: healthy`` event in the project's event log
(``pycompose events --json`` shows the same).  Docker probes first one interval
after the start, so about 1 s of this is the interval itself.  The peer has no
number: podman 4.3's health checks run from systemd timers, absent here, so they
never run on their own.  Needs root; scratch state root and namespace.

Run: .venv/bin/python bench/healthy.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, Scratch, events, main, need_root, scratch, wait_for

SERVICES = 5


def compose_file(services: int) -> str:
    lines = ["name: healthy", "services:"]
    for index in range(services):
        lines += [f"  s{index}:", "    image: busybox", "    init: true",
                  "    command: [\"sleep\", \"3600\"]",
                  "    healthcheck:", "      test: [\"CMD\", \"true\"]", "      interval: 1s"]
    return "\n".join(lines) + "\n"


def _round(space: Scratch, project: Path) -> float:
    seen = len(events(space, "healthy"))
    started = time.time()
    up = subprocess.run(space.pycompose_argv("up", "-d"), env=space.env, cwd=project,
                        capture_output=True, text=True)
    if up.returncode != 0:
        raise RuntimeError(f"up -d: {up.stderr.strip()[-500:]}")

    def healthy() -> list[float]:
        times = [t for t, action, _ in events(space, "healthy")[seen:]
                 if action == "health_status: healthy"]
        return times if len(times) >= SERVICES else []

    times = wait_for(healthy, 60, "5 healthy services")
    space.pycompose("down", "-t", "0", cwd=project)
    return max(times) - started


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/healthy.py")
    with scratch() as space:
        project = space.project("healthy", compose_file(SERVICES))
        _round(space, project)  # warm-up
        samples = [_round(space, project) for _ in range(rounds)]
    return [Figure("2. up -d until 5 services healthy (interval 1 s)", "s", samples,
                   "podman-compose", [],
                   note="peer: podman's health checks need systemd timers (absent)")]


if __name__ == "__main__":
    main(measure, 5, __doc__)
