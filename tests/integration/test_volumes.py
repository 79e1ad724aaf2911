"""Storage on real containers: named and anonymous volumes, binds, tmpfs, secrets
and configs, and that ``down -v`` deletes exactly the project's volumes.

Each test runs in the harness's own network namespace and state root, and the
``stack`` fixture fails it if anything is left behind."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Stack


def project(tmp_path: Path, text: str, name: str = "p") -> Path:
    directory = tmp_path / name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_text(textwrap.dedent(text))
    return directory


@pytest.fixture
def down_after(busybox_stack: Stack) -> Iterator[list[Path]]:
    """Projects to bring down at the end, even when the test failed."""
    projects: list[Path] = []
    yield projects
    for directory in projects:
        busybox_stack.run("down", "-t", "0", cwd=directory, check=False)


def sh(stack: Stack, directory: Path, service: str, script: str, check: bool = True) -> str:
    """A one-off container of ``service`` running ``script``; its output."""
    result = stack.run("run", "--rm", "-T", "--no-deps", service, "sh", "-c", script,
                       cwd=directory, check=check)
    return result.stdout + (result.stderr if not check else "")


def volume_names(stack: Stack) -> list[str]:
    return stack.run("volume", "ls", "-q").stdout.split()


def test_named_volume_shared_and_kept_across_down_up(busybox_stack: Stack, tmp_path: Path,
                                                      down_after: list[Path]) -> None:
    stack = busybox_stack
    directory = project(tmp_path, """
        services:
          db:
            image: busybox
            command: ["sh", "-c", "echo started >> /data/log; sleep 1000"]
            stop_signal: SIGKILL
            volumes: [data:/data]
          reader:
            image: busybox
            command: ["true"]
            volumes: [data:/shared:ro]
        volumes:
          data:
            labels: {tier: db}
    """)
    down_after.append(directory)
    stack.run("up", "-d", "db", cwd=directory)
    assert "p_data" in volume_names(stack)
    sh(stack, directory, "db", "echo written-by-one > /data/note")
    # another container (another service) reads it
    assert sh(stack, directory, "reader", "cat /shared/note") == "written-by-one\n"
    assert "Read-only" in sh(stack, directory, "reader", "echo x > /shared/y", check=False)
    stack.run("down", "-t", "0", cwd=directory)
    assert "p_data" in volume_names(stack)  # down keeps it
    stack.run("up", "-d", "db", cwd=directory)
    assert sh(stack, directory, "db", "cat /data/note") == "written-by-one\n"
    # a recreate after a config change keeps it too
    text = (directory / "compose.yaml").read_text().replace("sleep 1000", "sleep 999")
    (directory / "compose.yaml").write_text(text)
    stack.run("up", "-d", "db", cwd=directory)
    stack.wait_for(lambda: sh(stack, directory, "db", "cat /data/log").count("started") == 3)
    assert sh(stack, directory, "db", "cat /data/note") == "written-by-one\n"
    info = json.loads(stack.run("volume", "inspect", "p_data").stdout)[0]
    assert info["Labels"]["tier"] == "db"
    assert info["Labels"]["com.docker.compose.project"] == "p"
    assert info["Mountpoint"].endswith("/volumes/p_data/_data")
    stack.run("down", "-v", "-t", "0", cwd=directory)
    assert "p_data" not in volume_names(stack)
