"""Fault injection (common/faults.py): a step of ``up`` or ``down`` that fails, or a
SIGKILL of pycompose at that step, leaves a state that the next ``up`` converges
and the next ``down`` clears: no link, mount, namespace, nftables table, conmon,
runc state or container directory is left behind.

The walk goes over the steps of a fresh ``up`` (and of a ``down``) of a stack with
three services, two networks, a volume and a published port (``PYCOMPOSE_FAULT=count``
says how many there are).  CI tries ``POINTS`` steps spread evenly over them, the
same ones every run; ``PYCOMPOSE_FAULT_POINTS=all`` walks every one (up's ~270
steps, fail and kill: about half an hour)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import Run, Stack, leftovers
from tests.integration.test_skeleton import write_compose

POINTS = os.environ.get("PYCOMPOSE_FAULT_POINTS", "6")
COMPOSE = """
    services:
      web:
        image: busybox
        command: ["httpd", "-f", "-p", "80"]
        ports: ["8080:80"]
        networks: [front, back]
      app:
        image: busybox
        command: ["sleep", "300"]
        volumes: [data:/data]
        networks: [back]
        depends_on: [db]
      db:
        image: busybox
        command: ["sleep", "300"]
        networks: [back]
    networks:
      front: {}
      back: {}
    volumes:
      data: {}
"""


def with_fault(stack: Stack, fault: str, *args: str, cwd: Path) -> Run:
    env = dict(stack.env)
    try:
        stack.env["PYCOMPOSE_FAULT"] = fault
        return stack.run(*args, cwd=cwd, check=False, timeout=90)
    finally:
        stack.env.clear()
        stack.env.update(env)


def fired(result: Run) -> bool:
    """Whether the fault happened: the command was killed, or failed with it."""
    if result.returncode in (-9, 137):
        return True
    if result.returncode == 0:
        return False
    assert "injected fault at step" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return True


def nothing_left(stack: Stack) -> None:
    found = leftovers(stack)
    tables = subprocess.run(["ip", "netns", "exec", stack.netns, "nft", "list", "tables"],
                            capture_output=True, text=True, check=True).stdout
    if tables.strip():
        found.append(f"nftables: {tables.strip()}")
    assert not found, found


def count_steps(stack: Stack, project: Path, verb: tuple[str, ...]) -> int:
    result = with_fault(stack, "count", *verb, cwd=project)
    assert result.returncode == 0, result.stderr
    return int(result.stderr.rsplit("fault steps: ", 1)[1].split()[0])


def chosen_steps(total: int, mode: str) -> list[int]:
    """Every step, or ``POINTS`` of them spread over 1..total (kill's between fail's)."""
    if POINTS == "all":
        return list(range(1, total + 1))
    points = int(POINTS)
    shift = 0.5 if mode == "kill" else 0.0
    return sorted({1 + int((i + shift) * (total - 1) / points) for i in range(points + 1)
                   if (i + shift) * (total - 1) / points <= total - 1})


def walk(stack: Stack, project: Path, mode: str, before: Callable[[], None],
         verb: tuple[str, ...], after: Callable[[], None]) -> int:
    """Fail (or kill) the verb at the chosen steps; ``after`` checks the repair each
    time.  Past the last step the verb runs to its end.  The number of steps."""
    before()
    total = count_steps(stack, project, verb)
    after()
    for step in chosen_steps(total, mode):
        before()
        result = with_fault(stack, f"{mode}@{step}", *verb, cwd=project)
        assert fired(result), f"step {step} of {total} was not reached"
        after()
    before()
    assert not fired(with_fault(stack, f"{mode}@{total + 1}", *verb, cwd=project))
    after()
    return total


@pytest.mark.parametrize("mode", ["fail", "kill"])
def test_a_fault_at_any_step_of_up_is_repaired_by_the_next_up_and_down(
        busybox_stack: Stack, tmp_path: Path, mode: str) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "faults", COMPOSE).parent

    def converges() -> None:
        stack.run("up", "-d", cwd=project, timeout=90)
        assert [r["State"] for r in stack.ps(project)] == ["running"] * 3
        stack.run("down", "-v", "-t", "0", cwd=project)
        nothing_left(stack)

    steps = walk(stack, project, mode, lambda: None, ("up", "-d"), converges)
    assert steps > 20  # the walk went through the whole of up


@pytest.mark.parametrize("mode", ["fail", "kill"])
def test_a_fault_at_any_step_of_down_is_cleared_by_the_next_down(
        busybox_stack: Stack, tmp_path: Path, mode: str) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "faults", COMPOSE).parent

    def clears() -> None:
        stack.run("down", "-v", "-t", "0", cwd=project)
        nothing_left(stack)

    steps = walk(stack, project, mode, lambda: stack.run("up", "-d", cwd=project, timeout=90),
                 ("down", "-v", "-t", "0"), clears)
    assert steps > 5
