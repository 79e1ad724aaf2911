"""The integration harness: real runc, conmon and bridges, each test in a network
namespace of its own with a state root of its own, and a check that nothing is
left behind afterwards (links, mounts, conmon processes, runtime state)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from common.paths import Layout
from compose.supervisor.daemon import running_pid

REPO = Path(__file__).resolve().parents[2]
SYSTEM_TOOLS = ("runc", "conmon", "busybox", "unshare", "nsenter", "ip")


def _missing_tools() -> list[str]:
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return [t for t in SYSTEM_TOOLS if not shutil.which(t, path=path)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = None
    if os.geteuid() != 0:
        reason = "integration tests need root (they create namespaces, bridges and mounts)"
    elif _missing_tools():
        reason = f"integration tests need {', '.join(_missing_tools())} (run `make setup`)"
    for item in items:
        if "integration" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.integration)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Stack:
    """Runs ``pycompose`` inside the test's network namespace with its own root."""

    netns: str
    root: Path
    env: dict[str, str]

    @property
    def layout(self) -> Layout:
        return Layout.from_environ(self.env)

    def argv(self, *args: str) -> list[str]:
        return ["nsenter", f"--net=/run/netns/{self.netns}", "--",
                sys.executable, "-m", "compose", *args]

    def run(self, *args: str, cwd: Path | str | None = None, timeout: float = 60,
            check: bool = True) -> Run:
        result = subprocess.run(self.argv(*args), cwd=cwd, env=self.env, capture_output=True,
                                text=True, timeout=timeout)
        run = Run(result.returncode, result.stdout, result.stderr)
        if check and result.returncode != 0:
            raise AssertionError(f"pycompose {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return run

    def ps(self, cwd: Path | str, *, stopped: bool = True) -> list[dict[str, Any]]:
        """``ps --format json`` rows (with ``-a`` unless ``stopped=False``)."""
        flags = ["-a"] if stopped else []
        out = self.run("ps", *flags, "--format", "json", cwd=cwd).stdout
        return [json.loads(line) for line in out.splitlines()]

    def popen(self, *args: str, cwd: Path | str | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(self.argv(*args), cwd=cwd, env=self.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ip(self, *args: str) -> str:
        return subprocess.run(["ip", "-n", self.netns, *args], capture_output=True, text=True,
                              check=True).stdout

    def links(self) -> list[str]:
        out = self.ip("-o", "link", "show")
        return [line.split(": ")[1].split("@")[0] for line in out.splitlines()]

    def wait_for(self, predicate, timeout: float = 20, interval: float = 0.2,  # type: ignore[no-untyped-def]
                 fail: bool = True):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                if not fail:
                    return value
                raise AssertionError("condition not met in time")
            time.sleep(interval)


def leftovers(stack: Stack) -> list[str]:
    """Everything of this test's root still present on the host."""
    layout = stack.layout
    found = []
    links = [name for name in stack.links() if name != "lo"]
    if links:  # a namespace let go takes its links along in the kernel's own worker
        stack.wait_for(lambda: stack.links() == ["lo"], timeout=2, interval=0.02, fail=False)
        links = [name for name in stack.links() if name != "lo"]
    if links:
        found.append(f"links in the test namespace: {links}")
    tables = subprocess.run(["nsenter", f"--net=/run/netns/{stack.netns}", "--", "nft", "list",
                             "tables"], capture_output=True, text=True, check=True).stdout
    ours = [line for line in tables.splitlines() if " pycompose_" in line]
    if ours:
        found.append(f"nftables tables in the test namespace: {ours}")
    with open("/proc/mounts") as mounts:
        for line in mounts:
            target = line.split()[1]
            if target.startswith((str(layout.root), str(layout.run))):
                found.append(f"mount: {target}")
    for pid in _conmon_pids(layout):
        found.append(f"conmon process {pid}")
    for pidfile in _supervisor_pidfiles(layout):
        pid = running_pid(layout, pidfile.stem)
        if pid is not None:
            found.append(f"supervisor of {pidfile.stem} (pid {pid})")
    for directory in (layout.runc_root, layout.netns, layout.exits):
        if directory.exists() and any(directory.iterdir()):
            found.append(f"runtime state in {directory}: {sorted(os.listdir(directory))}")
    if layout.containers.exists() and any(layout.containers.iterdir()):
        found.append(f"container directories: {sorted(os.listdir(layout.containers))}")
    return found


def _conmon_pids(layout: Layout) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        program = cmdline.split(b"\0", 1)[0]
        if program.endswith(b"conmon") and str(layout.run).encode() in cmdline:
            pids.append(int(entry))
    return pids


def _supervisor_pidfiles(layout: Layout) -> list[Path]:
    directory = layout.run / "supervisors"
    return sorted(directory.glob("*.pid")) if directory.is_dir() else []


def force_clean(stack: Stack) -> None:
    layout = stack.layout
    for pidfile in _supervisor_pidfiles(layout):
        with contextlib.suppress(ValueError, ProcessLookupError, FileNotFoundError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
    for pid in _conmon_pids(layout):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if layout.runc_root.exists():
        for cid in os.listdir(layout.runc_root):
            subprocess.run(["runc", "--root", str(layout.runc_root), "delete", "--force", cid],
                           capture_output=True)
    with open("/proc/mounts") as mounts:
        targets = [line.split()[1] for line in mounts]
    for target in reversed(targets):
        if target.startswith((str(layout.root), str(layout.run))):
            subprocess.run(["umount", "-l", target], capture_output=True)


@pytest.fixture
def netns() -> Iterator[str]:
    """A network namespace of the test's own (for tests that drive the network
    code in-process there), deleted after it."""
    name = f"pcns-{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A fresh network namespace and state root; fails the test if it leaks."""
    name = f"pyct-{secrets.token_hex(4)}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
    root = tmp_path / "root"
    env = {**os.environ, "PYCOMPOSE_ROOT": str(root), "NO_COLOR": "1",
           "PYTHONPATH": str(REPO)}
    env.pop("COMPOSE_PROJECT_NAME", None)
    env.pop("COMPOSE_FILE", None)
    stack = Stack(name, root, env)
    try:
        yield stack
        left = leftovers(stack)
        assert not left, "left behind: " + "; ".join(left)
    finally:
        force_clean(stack)
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
        shutil.rmtree(stack.layout.run, ignore_errors=True)


@pytest.fixture(scope="session")
def busybox_images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An image store holding busybox:latest, made once per session by the real
    ``image bootstrap`` (tests/unit covers that the layer is reproducible)."""
    root = tmp_path_factory.mktemp("busybox-template") / "root"
    env = {**os.environ, "PYCOMPOSE_ROOT": str(root), "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "compose", "image", "bootstrap"], env=env,
                   check=True, capture_output=True)
    shutil.rmtree(Layout.from_environ(env).run, ignore_errors=True)
    return root / "images"


@pytest.fixture
def busybox_stack(stack: Stack, busybox_images: Path) -> Stack:
    """A stack whose store already holds busybox:latest: the session's store,
    hard-linked (blobs are read-only and index.json is replaced, never edited)."""
    stack.root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-al", str(busybox_images), str(stack.root / "images")], check=True)
    return stack
