"""``depends_on: {condition: service_healthy}`` fails as Docker Compose does, in its
order: a dependency that exited says so first, then one without a health check."""

from __future__ import annotations

import json
import time
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


CHAIN = """
    services:
      db:
        image: busybox
        command: ["sleep", "300"]
        healthcheck: {test: ["CMD", "true"], interval: 30s, start_interval: 200ms}
      api:
        image: busybox
        command: ["sleep", "300"]
        healthcheck: {test: ["CMD", "true"], interval: 30s, start_interval: 200ms}
        depends_on: {db: {condition: service_healthy}}
      web:
        image: busybox
        command: ["sleep", "300"]
        healthcheck: {test: ["CMD", "true"], interval: 30s, start_interval: 200ms}
        depends_on: {api: {condition: service_healthy}}
"""


def test_a_health_chain_is_up_as_soon_as_each_is_ready(busybox_stack: Stack,
                                                      tmp_path: Path) -> None:
    """Waited for, a starting container is probed every start_interval: with a 30 s
    interval, Docker would take 90 s to bring this chain up (make bench: under 2 s)."""
    project = write_compose(tmp_path / "chain", CHAIN).parent
    stack = busybox_stack
    started = time.monotonic()
    stack.run("up", "-d", "--wait", cwd=project, timeout=25)
    assert time.monotonic() - started < 25
    shown = json.loads(stack.run("inspect", "db", "api", "web", cwd=project).stdout)
    for container in shown:
        health = container["State"]["Health"]
        assert health["Status"] == "healthy"
        assert len(health["Log"]) == 1  # one probe each: the first passed
    stack.run("down", "-t", "0", cwd=project)
