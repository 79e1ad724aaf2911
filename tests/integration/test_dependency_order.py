"""``depends_on: {condition: service_healthy}`` fails as Docker Compose does, in its
order: a dependency that exited says so first, then one without a health check."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def test_an_exited_dependency_is_reported_before_its_missing_healthcheck(
        busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "dep", """
        services:
          db:
            image: busybox
            command: ["sh", "-c", "exit 1"]
          app:
            image: busybox
            command: ["sleep", "300"]
            depends_on:
              db:
                condition: service_healthy
    """).parent
    stack = busybox_stack
    result = stack.run("up", "-d", cwd=project, check=False)
    assert result.returncode == 1
    assert "error: dependency failed to start: container dep-db-1 exited (1)" in result.stderr
    stack.run("down", cwd=project)


def test_a_running_dependency_without_a_healthcheck(busybox_stack: Stack,
                                                     tmp_path: Path) -> None:
    project = write_compose(tmp_path / "nohc", """
        services:
          db:
            image: busybox
            command: ["sleep", "300"]
          app:
            image: busybox
            command: ["sleep", "300"]
            depends_on:
              db:
                condition: service_healthy
    """).parent
    stack = busybox_stack
    result = stack.run("up", "-d", cwd=project, check=False)
    assert result.returncode == 1
    assert ("error: dependency failed to start: container nohc-db-1 has no healthcheck "
            "configured") in result.stderr
    stack.run("down", "-t", "0", cwd=project)
