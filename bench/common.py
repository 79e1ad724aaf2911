"""What every benchmark script shares: the figure it reports, the markdown table,
the command line (``--rounds``, ``--quick``, ``--json``), and a scratch place to
run pycompose in (a state root and a network namespace of its own, removed
afterwards with everything made in them).

A script defines ``measure(rounds: int, quick: bool) -> list[Figure]`` and ends
with ``main(measure, default_rounds)``.  Run alone it prints its own table;
``bench/all.py`` runs each with ``--json`` and prints one table for all.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parents[1]
PEERS = Path("/opt/peers")
PODMAN_COMPOSE = PEERS / "venv" / "bin" / "podman-compose"
RUNC_BUNDLE = PEERS / "runc-bundle"
NOT_AVAILABLE = "not available"
COMMAND = Path(sys.executable).with_name("pycompose")
"""The ``pycompose`` command of the interpreter's environment, as a user runs it."""
T = TypeVar("T")


@dataclass
class Figure:
    """One line of the table: pycompose's samples and, where there is one, a peer's."""

    figure: str
    unit: str
    ours: list[float] = field(default_factory=list)
    peer_name: str = ""
    peer: list[float] = field(default_factory=list)
    note: str = ""
    missing: str = ""  # why there is no number ("not available: ...")

    @classmethod
    def unavailable(cls, figure: str, why: str) -> Figure:
        return cls(figure, "", missing=why)


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _cell(values: Sequence[float], unit: str) -> str:
    return f"{_fmt(statistics.median(values))} {unit}".strip() if values else "—"


def _span(values: Sequence[float]) -> str:
    return f"{_fmt(min(values))}–{_fmt(max(values))}" if values else "—"


HEADER = ("| figure | pycompose median | peer | peer median | ratio | pycompose min–max "
          "| peer min–max | runs | note |\n"
          "|---|---:|---|---:|---:|---:|---:|---:|---|")


def table(figures: Sequence[Figure]) -> str:
    """The markdown table: medians, ratio (pycompose / peer), min and max, runs."""
    lines = [HEADER]
    for f in figures:
        if f.missing or not f.ours:
            lines.append(f"| {f.figure} | {NOT_AVAILABLE} | {f.peer_name or '—'} | — | — | — | — "
                         f"| — | {f.missing} |")
            continue
        ratio = "—"
        if f.peer and statistics.median(f.peer):
            ratio = f"{statistics.median(f.ours) / statistics.median(f.peer):.2f}x"
        runs = str(len(f.ours)) if not f.peer else f"{len(f.ours)}/{len(f.peer)}"
        lines.append(f"| {f.figure} | {_cell(f.ours, f.unit)} | {f.peer_name or '—'} "
                     f"| {_cell(f.peer, f.unit)} | {ratio} | {_span(f.ours)} | {_span(f.peer)} "
                     f"| {runs} | {f.note} |")
    return "\n".join(lines)


def main(measure: Callable[[int, bool], list[Figure]], default_rounds: int,
         doc: str | None = None) -> None:
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=default_rounds,
                        help=f"measured runs after one warm-up (default {default_rounds})")
    parser.add_argument("--quick", action="store_true",
                        help="one round of the cheapest case: checks the script works")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    figures = measure(rounds, args.quick)
    if args.json:
        print(json.dumps([asdict(f) for f in figures]))
    else:
        print(table(figures))


def need_root(script: str) -> None:
    if os.geteuid() != 0:
        raise SystemExit(f"{script} needs root (namespaces, runc)")


def timed(argv: Sequence[str], **kwargs: object) -> float:
    """Wall time of one command, as a user waits for it; fails on a non-zero exit."""
    start = time.perf_counter()
    result = subprocess.run(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed ({result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()[-500:]}")
    return elapsed


@dataclass
class Scratch:
    """A state root and a network namespace of its own; pycompose runs inside it."""

    work: Path
    netns: str
    env: dict[str, str]

    @property
    def root(self) -> Path:
        return self.work / "root"

    def inside(self, *argv: str) -> list[str]:
        # nsenter, not `ip netns exec`: that one remounts /sys, hiding the cgroups runc needs
        return ["nsenter", f"--net=/run/netns/{self.netns}", "--", *argv]

    def pycompose_argv(self, *args: str) -> list[str]:
        return self.inside(*pycompose_command(), *args)

    def pycompose(self, *args: str, cwd: Path | None = None,
                  check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.pycompose_argv(*args), cwd=cwd, env=self.env, text=True,
                                capture_output=True, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise RuntimeError(f"pycompose {' '.join(args)}: {result.stderr.strip()[-500:]}")
        return result

    def project(self, name: str, compose: str) -> Path:
        directory = self.work / name
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "compose.yaml").write_text(compose)
        return directory


@contextmanager
def scratch(bootstrap: bool = True) -> Iterator[Scratch]:
    """A scratch root and namespace with busybox:latest in the store; on the way
    out every project in it is brought down and everything is removed."""
    work = Path(tempfile.mkdtemp(prefix="pycompose-bench-"))
    netns = f"pcbench-{secrets.token_hex(3)}"
    env = {**os.environ, "PYCOMPOSE_ROOT": str(work / "root"), "PYTHONPATH": str(REPO),
           "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": str(work / "pyc")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed tool has its bytecode cached
    subprocess.run(["ip", "netns", "add", netns], check=True)
    space = Scratch(work, netns, env)
    try:
        subprocess.run(["ip", "-n", netns, "link", "set", "lo", "up"], check=True)
        if bootstrap:
            space.pycompose("image", "bootstrap")
        yield space
    finally:
        _clean(space)


def _clean(space: Scratch) -> None:
    from common.paths import Layout
    from compose.supervisor.daemon import running_pid

    layout = Layout.from_environ(space.env)
    projects = layout.projects
    if projects.is_dir():
        for project in sorted(p.name for p in projects.iterdir()):
            space.pycompose("-p", project, "down", "-t", "0", "--remove-orphans", check=False)
            pid = running_pid(layout, project)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
    subprocess.run(["ip", "netns", "delete", space.netns], capture_output=True)
    _stop_fork_server(space)
    shutil.rmtree(layout.run, ignore_errors=True)
    shutil.rmtree(space.work, ignore_errors=True)


def podman_compose(space: Scratch, project: Path, *args: str) -> list[str]:
    """podman-compose run inside the scratch namespace (its bridges are made there)."""
    return space.inside(str(PODMAN_COMPOSE), "-p", project.name, "-f",
                        str(project / "compose.yaml"), *args)


def pycompose_command() -> list[str]:
    """``pycompose`` as installed (``bin/pycompose``), or ``python -m compose`` in an
    environment without it."""
    return [str(COMMAND)] if COMMAND.exists() else [sys.executable, "-m", "compose"]


def peers_missing() -> str:
    """Why the peers cannot be measured ("" when they can)."""
    if not PODMAN_COMPOSE.exists() or not shutil.which("podman"):
        return "peers not installed (bash ../shared/peers/setup.sh)"
    return ""


def floor_bundle(work: Path, args: Sequence[str]) -> Path:
    """A copy of the peers' runc bundle (busybox) whose process runs ``args``."""
    bundle = work / "floor-bundle"
    if not bundle.exists():
        bundle.mkdir(parents=True)
        (bundle / "rootfs").symlink_to(RUNC_BUNDLE / "rootfs")
        config = json.loads((RUNC_BUNDLE / "config.json").read_text())
        config["process"]["args"] = list(args)
        config["root"]["path"] = str(RUNC_BUNDLE / "rootfs")
        (bundle / "config.json").write_text(json.dumps(config))
    return bundle


def events(space: Scratch, project: str) -> list[tuple[float, str, str]]:
    """The project's events as (time since the epoch, action, container id)."""
    from datetime import datetime

    from common.paths import Layout
    from compose.engine import eventlog

    path = eventlog.events_path(Layout.from_environ(space.env), project)
    try:
        entries, _ = eventlog.parse(path.read_bytes())
    except FileNotFoundError:
        return []
    return [(datetime.fromisoformat(e["time"]).timestamp(), e["action"], e["id"])
            for e in entries]


def wait_for(predicate: Callable[[], T | None], timeout: float, what: str,
             interval: float = 0.005) -> T:
    """Poll until ``predicate`` returns something true; its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(interval)


def _stop_fork_server(space: Scratch) -> None:
    """The scratch's fork servers (its own: the scratch's PYTHONPYCACHEPREFIX names
    them) exit once their sockets are gone."""
    where = subprocess.run([sys.executable, "-c", "from common import forkclient as f; "
                            "print(*f.socket_paths())"], env=space.env, cwd=space.work,
                           capture_output=True, text=True)
    for path in where.stdout.split() if where.returncode == 0 else ():
        with contextlib.suppress(OSError):
            os.unlink(path)
