"""Docker Compose's run-time semantics where a user (or a script) relies on them:
verbs that need only a project name work without a Compose file, and a second
``up`` says which containers it left running."""

from __future__ import annotations

import os
from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

TWO = """
    name: named
    services:
      db:
        image: busybox
        command: ["sleep", "300"]
      web:
        image: busybox
        command: ["sleep", "300"]
        depends_on: [db]
"""


def test_verbs_with_only_compose_project_name_work_in_an_empty_folder(
        busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "proj", TWO).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    empty = tmp_path / "empty"
    empty.mkdir()
    stack.env = {**stack.env, "COMPOSE_PROJECT_NAME": "named"}
    try:
        names = sorted(row["Name"] for row in stack.ps(empty))
        assert names == ["named-db-1", "named-web-1"]
        stack.run("stop", "web", cwd=empty)
        assert {r["Service"]: r["State"] for r in stack.ps(empty)}["web"] == "exited"
        stack.run("start", "web", cwd=empty)
        stack.run("restart", "db", cwd=empty)
        assert "sleep 300" in stack.run("top", "db", cwd=empty).stdout
        stack.run("logs", cwd=empty)
        stack.run("down", "-t", "0", cwd=empty)
        assert stack.ps(empty) == []
    finally:
        stack.env = {k: v for k, v in stack.env.items() if k != "COMPOSE_PROJECT_NAME"}
        stack.run("down", "-t", "0", cwd=project, check=False)


def test_a_second_up_says_running_for_what_it_leaves_alone(busybox_stack: Stack,
                                                           tmp_path: Path) -> None:
    project = write_compose(tmp_path / "proj", TWO).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    again = stack.run("up", "-d", cwd=project)
    lines = [line.strip() for line in again.stderr.splitlines()]
    assert "✔ Container named-db-1  Running" in lines
    assert "✔ Container named-web-1  Running" in lines
    stack.run("down", "-t", "0", cwd=project)
    assert os.path.isdir(project)
