"""``scale``, ``create``, ``export`` and ``commit`` on real containers."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

FARM = """
    services:
      web:
        image: busybox
        init: true
        command: ["sleep", "300"]
        depends_on: [db]
      db:
        image: busybox
        init: true
        command: ["sleep", "300"]
"""


def running(stack: Stack, project: Path) -> list[str]:
    return sorted(r["Name"] for r in stack.ps(project) if r["State"] == "running")


def test_scale_up_and_down_keeps_the_first_replicas(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", FARM).parent
    stack = busybox_stack
    stack.run("scale", "web=3", cwd=project)  # db too: web depends on it
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2", "farm-web-3"]
    first = stack.run("ps", "-q", "web", cwd=project).stdout.split()
    stack.run("scale", "web=1", "db=2", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-db-2", "farm-web-1"]
    assert stack.run("ps", "-q", "web", cwd=project).stdout.split() == first[:1]
    stack.run("scale", "web=0", cwd=project)  # db, a dependency, back to the file's 1
    assert running(stack, project) == ["farm-db-1"]  # as Docker Compose's convergence
    stack.run("down", "-t", "0", cwd=project)


def test_scale_no_deps_leaves_dependencies_alone(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", FARM).parent
    stack = busybox_stack
    stack.run("scale", "--no-deps", "web=2", cwd=project)
    assert running(stack, project) == ["farm-web-1", "farm-web-2"]
    stack.run("down", "-t", "0", cwd=project)


def states(stack: Stack, project: Path) -> dict[str, str]:
    return {r["Name"]: r["State"] for r in stack.ps(project)}


def test_create_makes_containers_that_start_runs(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", FARM).parent
    stack = busybox_stack
    result = stack.run("create", "--scale", "web=2", cwd=project)
    assert "Created" in result.stderr + result.stdout
    assert states(stack, project) == {"farm-db-1": "created", "farm-web-1": "created",
                                      "farm-web-2": "created"}
    ids = stack.run("ps", "-a", "-q", cwd=project).stdout.split()
    stack.run("start", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2"]
    assert stack.run("ps", "-q", cwd=project).stdout.split() == ids  # the same containers
    # nothing changed: create keeps them (running); --force-recreate makes them again
    stack.run("create", "--scale", "web=2", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2"]
    stack.run("create", "--force-recreate", "--scale", "web=2", "web", cwd=project)
    assert states(stack, project) == {"farm-db-1": "running", "farm-web-1": "created",
                                      "farm-web-2": "created"}
    stack.run("up", "-d", "--scale", "web=2", cwd=project)
    assert running(stack, project) == ["farm-db-1", "farm-web-1", "farm-web-2"]
    stack.run("down", "-t", "0", cwd=project)
