"""The soak (issue 20): a crash-looping service restarted 1000 times under the
supervisor.  What the supervisor holds (resident memory, open file descriptors)
and what the host holds for the stack (mounts under its roots, kernel links in
its namespace, nftables rules, conmon processes) are sampled after the first 10
restarts and after the last: a leak shows as a difference.

The service exits at once (``exit 1``) with a fixed restart delay of 0 s
(``deploy.restart_policy.delay``), on a network of its own with a published port,
beside a steady service on the same network, so every restart reconnects it.
Not part of ``make bench``'s default set (it takes minutes); run it alone.  Needs
root; scratch state root and namespace.

Run: .venv/bin/python bench/soak.py [--quick] [--json]   (--quick: 100 restarts)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Figure, Scratch, main, need_root, scratch, wait_for
from bench.footprint import rss_mb
from common.paths import Layout
from compose.supervisor.daemon import running_pid

COMPOSE = """name: soak
services:
  crash:
    image: busybox
    command: ["sh", "-c", "exit 1"]
    ports: ["18080:80"]
    deploy:
      restart_policy: {condition: any, delay: 0s}
  steady:
    image: busybox
    command: ["sleep", "3600"]
"""
FIRST = 10


def restarts(layout: Layout) -> int:
    """The crash-looping container's restart count, from its restart state (0 while
    it is unreadable: a directory being made, a state file being replaced)."""
    counts = [0]
    for directory in layout.containers.iterdir():
        try:
            record = json.loads((directory / "container.json").read_text())
            if record["service"] == "crash":
                counts.append(int(json.loads(
                    (directory / "restart.json").read_text())["restarts"]))
        except (OSError, ValueError, KeyError):
            continue
    return max(counts)


INOTIFY = "anon_inode:inotify"


def _fd_kind(pid: int, fd: str) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return ""


def sample(space: Scratch, layout: Layout, pid: int) -> dict[str, float]:
    roots = (str(layout.root), str(layout.run))
    with open("/proc/mounts") as mounts:
        mounted = sum(1 for line in mounts if line.split()[1].startswith(roots))
    links = subprocess.run(space.inside("ip", "-o", "link"), capture_output=True,
                           text=True, check=True).stdout.count("\n")
    rules = subprocess.run(space.inside("nft", "list", "ruleset"), capture_output=True,
                           text=True, check=True).stdout.count("\n")
    # the fewest descriptors and conmons over two seconds: a restart in flight holds
    # a few descriptors (a pidfd, conmon's pipes) and the old and new conmon for a
    # moment; a leak never gives them back
    fds, watches, conmons = [], [], []
    for _ in range(20):
        kinds = [_fd_kind(pid, fd) for fd in os.listdir(f"/proc/{pid}/fd")]
        fds.append(sum(1 for k in kinds if k != INOTIFY))
        watches.append(kinds.count(INOTIFY))
        conmons.append(int(subprocess.run(["pgrep", "-c", "-f", f"conmon.*{layout.run}"],
                                          capture_output=True, text=True).stdout.strip()
                           or "0"))
        time.sleep(0.1)
    return {"rss": rss_mb(pid), "fds": min(fds), "inotify": min(watches),
            "mounts": mounted, "links": links, "rules": rules, "conmons": min(conmons)}


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/soak.py")
    total = 100 if quick else 1000
    with scratch() as space:
        project = space.project("soak", COMPOSE)
        space.pycompose("up", "-d", cwd=project)
        layout = Layout.from_environ(space.env)
        pid = wait_for(lambda: running_pid(layout, "soak"), 30, "the supervisor")
        wait_for(lambda: restarts(layout) >= FIRST, 60, f"{FIRST} restarts", 0.1)
        early = sample(space, layout, pid)
        started = time.monotonic()
        wait_for(lambda: restarts(layout) >= total, 40 * total, f"{total} restarts", 0.5)
        seconds = time.monotonic() - started
        late = sample(space, layout, pid)
        same = running_pid(layout, "soak") == pid
        space.pycompose("down", "-t", "0", cwd=project)
    label = f"13. soak, {total} restarts"
    note = "" if same else "the supervisor was replaced meanwhile"
    figures = [Figure(f"{label}: restarts per second", "/s",
                      [(total - FIRST) / seconds], note=note)]
    for key, unit, what in (("rss", "MB", "supervisor RSS"),
                            ("fds", "", "supervisor fds (inotify apart)"),
                            ("inotify", "", "supervisor inotify instances (≤ 32 kept idle)"),
                            ("mounts", "", "mounts"), ("links", "", "kernel links"),
                            ("rules", "", "nftables lines"), ("conmons", "", "conmons")):
        figures.append(Figure(f"{label}: {what} after {total} (peer: after {FIRST})", unit,
                              [late[key]], peer_name=f"after {FIRST}", peer=[early[key]]))
    return figures


if __name__ == "__main__":
    main(measure, 1, __doc__)
