"""Figure 12: ``pycompose watch`` latency.

One service built from a 10-step Dockerfile (bench/build.py's) with two rules:
``sync`` of ``src/`` into ``/app/src`` and ``rebuild`` on the Dockerfile.  With
``pycompose watch`` running:

- a one-file edit: the clock starts just before the host file is written and
  stops when the container sees the new content (read through
  ``/proc/<pid>/root``, every millisecond); target <= 150 ms (median of 20);
- a rebuild: a comment added to the Dockerfile (every step stays cached), from
  the save to the ``start`` event of the new container the supervisor records
  (written once ``runc start`` has returned); target <= 1.5 s.

Needs root; scratch state root and namespace.
Run: .venv/bin/python bench/watch.py [--rounds N] [--quick] [--json]
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.build import DOCKERFILE, prepare
from bench.common import Figure, Scratch, events, main, need_root, scratch, wait_for
from common.paths import Layout

COMPOSE = """name: watchbench
services:
  app:
    build: .
    init: true
    user: root      # the Dockerfile's USER app: busybox's adduser is not in the image
    command: ["sleep", "3600"]
    develop:
      watch:
        - path: ./src
          target: /app/src
          action: sync
        - path: ./Dockerfile
          action: rebuild
"""


def _running(space: Scratch) -> tuple[str, int]:
    """The id and pid of the service's running container."""
    layout = Layout.from_environ(space.env)
    for record in layout.containers.glob("*/container.json"):
        state = subprocess.run(["runc", "--root", str(layout.runc_root), "state",
                                record.parent.name], capture_output=True, text=True)
        if state.returncode == 0 and json.loads(state.stdout)["status"] == "running":
            return record.parent.name, int(json.loads(state.stdout)["pid"])
    raise RuntimeError("no running container")


def _edit_round(context: Path, pid: int, n: int) -> float:
    inside = Path(f"/proc/{pid}/root/app/src/file0.txt")
    content = f"edit {n} {time.time()}\n"
    started = time.perf_counter()
    (context / "src" / "file0.txt").write_text(content)

    def seen() -> bool:
        try:
            return inside.read_text() == content
        except OSError:
            return False

    wait_for(seen, 10, "the synced file", interval=0.001)
    return time.perf_counter() - started


def _rebuild_round(space: Scratch, context: Path, n: int) -> float:
    old, _ = _running(space)
    seen = len(events(space, "watchbench"))
    started = time.time()
    (context / "Dockerfile").write_text(DOCKERFILE + f"# round {n}\n")

    def new_start() -> float | None:
        return next((t for t, action, ident in events(space, "watchbench")[seen:]
                     if action == "start" and ident != old), None)

    return wait_for(new_start, 60, "the recreated container", interval=0.01) - started


def measure(rounds: int, quick: bool) -> list[Figure]:
    need_root("bench/watch.py")
    with scratch() as space:
        context = prepare(space.work)
        (context / "compose.yaml").write_text(COMPOSE)
        log = space.work / "watch.log"
        with open(log, "w") as out:
            watcher = subprocess.Popen(space.pycompose_argv("watch", "--quiet"), cwd=context,
                                       env=space.env, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        try:
            wait_for(lambda: "Watch enabled" in log.read_text() or watcher.poll() is not None,
                     120, "watch to start", interval=0.05)
            if watcher.poll() is not None:
                raise RuntimeError(f"watch ended: {log.read_text()[-800:]}")
            _, pid = _running(space)
            edits = []
            for n in range(rounds + 1):
                elapsed = _edit_round(context, pid, n)
                if n:  # the first one warms up
                    edits.append(elapsed)
                time.sleep(0.2)  # each edit a batch of its own
            figures = [Figure("12. watch: one-file edit visible in the container", "s", edits,
                              note="median of the rounds; target ≤ 150 ms")]
            if not quick:
                rebuilds = []
                for n in range(max(3, rounds // 4) + 1):
                    elapsed = _rebuild_round(space, context, n)
                    if n:
                        rebuilds.append(elapsed)
                    time.sleep(0.5)
                figures.append(Figure(
                    "12. watch: Dockerfile saved → recreated container running (cached build)",
                    "s", rebuilds, note="10 cached steps; target ≤ 1.5 s"))
            return figures
        finally:
            watcher.send_signal(signal.SIGINT)
            try:
                watcher.wait(timeout=20)
            except subprocess.TimeoutExpired:
                watcher.kill()
                watcher.wait()


if __name__ == "__main__":
    main(measure, 20, __doc__)
