"""Figure 4: the supervisor's footprint with 100 running containers, each
health-checked every 30 s, over 60 s idle; then its CPU alone with 100 containers
that have no health check (what watching costs when nothing happens).

Brings up one busybox service scaled to 100 in steps of 10 (``sleep 3600``,
``init: true``, health check ``true`` every 30 s), lets the stack settle, then samples the
supervisor process (its pid from the state root, ``compose.supervisor.daemon.running_pid``)
once a second for 60 s: resident memory from ``/proc/PID/status`` (VmRSS) and
CPU time from ``/proc/PID/stat`` (utime + stime: the supervisor itself; cutime +
cstime: the ``runc exec`` probes it ran and reaped), reported per 10 s window as a
share of one core.  No peer: podman has no per-project supervisor process (its
conmons restart nothing here and its health checks need systemd).  Needs root;
scratch state root and namespace.

Run: .venv/bin/python bench/footprint.py [--quick] [--json]   (--rounds is unused)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, Scratch, main, need_root, scratch, wait_for
from common.paths import Layout
from compose.supervisor.daemon import running_pid

COMPOSE = """name: footprint
services:
  s:
    image: busybox
    init: true
    command: ["sleep", "3600"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 30s
"""
QUIET = COMPOSE.replace("name: footprint", "name: quiet").split("    healthcheck:")[0]
"""The same service without a health check: what the supervisor costs by itself."""
WINDOW = 10.0
STEP = 10


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own utime + stime, reaped children's cutime + cstime) in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
    tick = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime) / tick, (cutime + cstime) / tick


def idle(space: Scratch, name: str, compose: str, containers: int, seconds: float,
         settle: float) -> tuple[list[float], list[float], list[float]]:
    """Bring ``containers`` replicas up, let them settle, then sample the supervisor
    each second for ``seconds``: RSS, and its CPU (without and with reaped children)
    per 10 s window."""
    project = space.project(name, compose)
    # In steps: the supervisor must say it is ready within 10 s of the first
    # `up`, which adopting 100 new containers at once can miss on a busy machine.
    for count in range(STEP, containers + 1, STEP):
        space.pycompose("up", "-d", "--scale", f"s={count}", cwd=project)
    layout = Layout.from_environ(space.env)
    pid = wait_for(lambda: running_pid(layout, name), 30, "the supervisor")
    time.sleep(settle)
    rss: list[float] = []
    own: list[float] = []
    probes: list[float] = []
    window_start = time.monotonic()
    window_cpu = cpu_seconds(pid)
    end = window_start + seconds
    while time.monotonic() < end:
        time.sleep(1.0)
        rss.append(rss_mb(pid))
        now = time.monotonic()
        if now - window_start >= WINDOW:
            cpu = cpu_seconds(pid)
            own.append(100 * (cpu[0] - window_cpu[0]) / (now - window_start))
            probes.append(100 * (cpu[0] + cpu[1] - window_cpu[0] - window_cpu[1])
                          / (now - window_start))
            window_start, window_cpu = now, cpu
    space.pycompose("down", "-t", "0", cwd=project)
    return rss, own, probes


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/footprint.py")
    containers, seconds, settle = (10, 20.0, 2.0) if quick else (100, 60.0, 10.0)
    with scratch() as space:
        rss, own, probes = idle(space, "footprint", COMPOSE, containers, seconds, settle)
        _, quiet, _ = idle(space, "quiet", QUIET, containers, seconds, settle)
    label = f"4. supervisor, {containers} containers, health every 30 s, {seconds:g} s idle"
    note = "no peer: podman has no supervisor process"
    return [Figure(f"{label}: RSS", "MB", rss,
                   note=note + "; samples every 1 s; target < 60 MB"),
            Figure(f"{label}: CPU", "% of a core", own, note="per 10 s window"),
            Figure(f"{label}: CPU with its probes", "% of a core", probes,
                   note="+ reaped `runc exec` children"),
            Figure(f"4. supervisor, {containers} containers without health checks, "
                   f"{seconds:g} s idle: CPU", "% of a core", quiet,
                   note="per 10 s window; target ≤ 0.5%")]


if __name__ == "__main__":
    main(measure, 1, __doc__)
