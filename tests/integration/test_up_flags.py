"""``up``'s flags on real containers: --wait, --abort-on-container-exit,
--exit-code-from, --no-start, --force-recreate, --no-recreate, --no-deps."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def rows(stack: Stack, project: Path) -> dict[str, dict[str, object]]:
    return {r["Service"]: r for r in stack.ps(project)}


def test_wait_returns_once_healthy_and_one_shots_are_done(busybox_stack: Stack,
                                                          tmp_path: Path) -> None:
    project = write_compose(tmp_path / "waiting", """
        services:
          migrate:
            image: busybox
            command: ["sh", "-c", "sleep 1; echo migrated"]
          db:
            image: busybox
            init: true
            command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 300"]
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ready"]
              interval: 200ms
              start_period: 10s
          app:
            image: busybox
            init: true
            command: ["sleep", "300"]
            depends_on:
              migrate:
                condition: service_completed_successfully
    """).parent
    stack = busybox_stack
    result = stack.run("up", "--wait", cwd=project)
    assert result.returncode == 0
    state = rows(stack, project)
    assert state["db"]["Health"] == "healthy"
    assert state["migrate"]["State"] == "exited" and state["migrate"]["ExitCode"] == 0
    assert state["app"]["State"] == "running"
    time.sleep(1.5)  # a few more probes
    [db] = json.loads(stack.run("inspect", "db", cwd=project).stdout)
    assert db["Name"] == "/waiting-db-1" and db["State"]["Running"] is True
    health = db["State"]["Health"]
    assert health["Status"] == "healthy" and health["FailingStreak"] == 0
    assert 1 <= len(health["Log"]) <= 5 and health["Log"][-1]["ExitCode"] == 0
    stack.run("down", "-t", "0", cwd=project)


def test_wait_fails_on_an_unhealthy_service_and_times_out(busybox_stack: Stack,
                                                         tmp_path: Path) -> None:
    project = write_compose(tmp_path / "sick", """
        services:
          sick:
            image: busybox
            init: true
            command: ["sleep", "300"]
            healthcheck:
              test: ["CMD", "false"]
              interval: 200ms
              retries: 1
          slow:
            image: busybox
            init: true
            command: ["sleep", "300"]
            healthcheck:
              test: ["CMD", "false"]
              interval: 200ms
              start_period: 60s
    """).parent
    stack = busybox_stack
    result = stack.run("up", "--wait", "sick", cwd=project, check=False)
    assert result.returncode == 1
    assert "container sick-sick-1 is unhealthy" in result.stderr
    result = stack.run("up", "--wait", "--wait-timeout", "2", "slow", cwd=project, check=False)
    assert result.returncode == 1
    assert "application not healthy after 2s" in result.stderr
    stack.run("down", "-t", "0", cwd=project)


def test_abort_on_container_exit_and_exit_code_from(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    project = write_compose(tmp_path / "ci", """
        services:
          db:
            image: busybox
            command: ["sleep", "300"]
          tests:
            image: busybox
            command: ["sh", "-c", "echo running tests; exit 42"]
            depends_on: [db]
    """).parent
    stack = busybox_stack
    result = stack.run("up", "--abort-on-container-exit", "-t", "1", cwd=project,
                       check=False)
    assert result.returncode == 42, result.stdout + result.stderr
    assert "Aborting on container exit..." in result.stdout
    assert rows(stack, project)["db"]["State"] == "exited"
    result = stack.run("up", "--exit-code-from", "db", "-t", "0", cwd=project, check=False)
    assert result.returncode == 137  # db was killed by the abort (sleep ignores SIGTERM as pid 1)
    stack.run("down", cwd=project)


def test_no_start_force_recreate_no_recreate_and_no_deps(busybox_stack: Stack,
                                                         tmp_path: Path) -> None:
    compose = write_compose(tmp_path / "recreate", """
        services:
          db:
            image: busybox
            init: true
            command: ["sleep", "300"]
          web:
            image: busybox
            init: true
            command: ["sleep", "300"]
            depends_on: [db]
    """)
    project = compose.parent
    stack = busybox_stack
    stack.run("up", "--no-start", cwd=project)
    assert {s: r["State"] for s, r in rows(stack, project).items()} == {
        "db": "created", "web": "created"}
    stack.run("up", "-d", cwd=project)
    first = {s: r["ID"] for s, r in rows(stack, project).items()}
    stack.run("up", "-d", "--force-recreate", "web", cwd=project)
    second = {s: r["ID"] for s, r in rows(stack, project).items()}
    assert second["db"] == first["db"] and second["web"] != first["web"]

    compose.write_text(compose.read_text().replace('["sleep", "300"]', '["sleep", "301"]'))
    stack.run("up", "-d", "--no-recreate", cwd=project)
    assert {s: r["ID"] for s, r in rows(stack, project).items()} == second
    stack.run("stop", "db", cwd=project)
    stack.run("up", "-d", "--no-deps", "web", cwd=project)
    state = rows(stack, project)
    assert state["db"]["State"] == "exited" and state["db"]["ID"] == second["db"]
    assert state["web"]["State"] == "running" and state["web"]["ID"] != second["web"]
    stack.run("down", "-t", "0", cwd=project)


def test_verbose_logs_each_step_with_its_duration(busybox_stack: Stack,
                                                  tmp_path: Path) -> None:
    project = write_compose(tmp_path / "told", """
        services:
          app:
            image: busybox
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack
    quiet = stack.run("up", "-d", "--no-start", cwd=project).stderr
    assert "plan" not in quiet and "ms=" not in quiet
    told = stack.run("--verbose", "up", "-d", cwd=project).stderr
    lines = told.splitlines()

    def logged(event: str) -> list[str]:
        return [line for line in lines if f"] {event} " in line]

    assert logged("plan") == [line for line in lines if "step='1. start container told-app-1'"
                              in line]
    assert "id=sha256:" in logged("image")[0] and "service=app" in logged("image")[0]
    for event in ("images.resolve", "networks.connect", "containers.start",
                  "supervisors.ensure"):
        assert logged(event), (event, told)
        assert all("ms=" in line for line in logged(event)), event
    assert "about=told-app-1" in logged("containers.start")[0]
    gone = stack.run("--verbose", "down", cwd=project).stderr
    assert "step='1. stop container told-app-1'" in gone and "containers.remove" in gone
