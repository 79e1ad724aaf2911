"""``up`` makes a level's containers side by side: when one of twenty fails to be
created, ``up`` fails with its reason, and ``down`` afterwards leaves nothing
behind (no link, mount, namespace, conmon or runtime state: the fixture checks)."""

from __future__ import annotations

from pathlib import Path

from common.state import container_records
from tests.integration.conftest import Stack


def compose(directory: Path, broken: int) -> None:
    lines = ["services:"]
    for number in range(20):
        lines += [f"  s{number}:", "    image: busybox", '    command: ["sleep", "3600"]']
        if number == broken:  # no such device on the host: the spec cannot be made
            lines += ['    devices: ["/dev/pycompose-no-such-device:/dev/x"]']
    (directory / "compose.yaml").write_text("\n".join(lines) + "\n")


def test_one_failed_create_among_twenty_then_down_leaves_nothing(
        busybox_stack: Stack, tmp_path: Path) -> None:
    directory = tmp_path / "twenty"
    directory.mkdir()
    compose(directory, broken=13)
    stack = busybox_stack
    result = stack.run("up", "-d", cwd=directory, check=False, timeout=180)
    assert result.returncode == 1
    assert "pycompose-no-such-device" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(container_records(stack.layout, "twenty")) >= 1  # others were made
    stack.run("down", "-t", "0", cwd=directory, timeout=180)
    assert container_records(stack.layout, "twenty") == []
    assert stack.links() == ["lo"]


def test_after_the_failure_the_next_up_converges(busybox_stack: Stack, tmp_path: Path) -> None:
    directory = tmp_path / "twenty"
    directory.mkdir()
    compose(directory, broken=7)
    stack = busybox_stack
    assert stack.run("up", "-d", cwd=directory, check=False, timeout=180).returncode == 1
    compose(directory, broken=-1)  # fixed
    stack.run("up", "-d", cwd=directory, timeout=180)
    running = [row for row in stack.ps(directory) if row["State"] == "running"]
    assert len(running) == 20
    stack.run("down", "-t", "0", cwd=directory, timeout=180)
