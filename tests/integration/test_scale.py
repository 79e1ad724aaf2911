"""Replicas on real containers: deploy.replicas and --scale, each replica its own
address, the service name resolving to all of them."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def names(stack: Stack, project: Path) -> list[str]:
    return sorted(r["Name"] for r in stack.ps(project, stopped=False))


def test_replicas_scale_up_and_down_and_share_the_service_name(busybox_stack: Stack,
                                                               tmp_path: Path) -> None:
    project = write_compose(tmp_path / "farm", """
        services:
          web:
            image: busybox
            init: true
            command: ["sleep", "300"]
            deploy:
              replicas: 3
          client:
            image: busybox
            init: true
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    assert names(stack, project) == ["farm-client-1", "farm-web-1", "farm-web-2", "farm-web-3"]
    answer = stack.run("exec", "client", "nslookup", "web", cwd=project).stdout
    addresses = {line.split()[-1] for line in answer.splitlines()
                 if line.startswith("Address") and "#53" not in line and "127.0.0.11" not in line}
    assert len(addresses) == 3, answer
    first = stack.run("ps", "-q", "web", cwd=project).stdout.split()
    stack.run("up", "-d", "--scale", "web=1", cwd=project)
    assert names(stack, project) == ["farm-client-1", "farm-web-1"]
    assert stack.run("ps", "-q", "web", cwd=project).stdout.split() == first[:1]
    stack.run("up", "-d", "--scale", "web=2", cwd=project)
    assert names(stack, project) == ["farm-client-1", "farm-web-1", "farm-web-2"]
    stack.run("down", "-t", "0", cwd=project)
