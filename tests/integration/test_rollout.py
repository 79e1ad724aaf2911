"""Rolling updates on real containers: replicas replaced one at a time, each new one
healthy before the next old one stops; an unhealthy version rolled back."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

COMPOSE = """
    services:
      web:
        image: busybox
        init: true
        command: ["sh", "-c", "{script}; exec sleep 300"]
        healthcheck:
          test: ["CMD", "test", "-f", "/tmp/ok"]
          interval: 200ms
          start_period: 5s
        deploy:
          replicas: 2
          update_config:
            failure_action: rollback
"""


def running_ids(stack: Stack, project: Path) -> set[str]:
    return {r["ID"] for r in stack.ps(project, stopped=False)}


def test_replicas_are_replaced_one_by_one_and_a_bad_version_rolled_back(
        busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    compose = write_compose(tmp_path / "roll", COMPOSE.format(script="touch /tmp/ok; echo v1"))
    project = compose.parent
    stack.run("up", "-d", "--wait", cwd=project)
    old = running_ids(stack, project)
    since = str(time.time())

    compose.write_text(compose.read_text().replace("echo v1", "echo v2"))
    stack.run("up", "-d", cwd=project)
    new = running_ids(stack, project)
    assert len(new) == 2 and not new & old
    events = [json.loads(line) for line in stack.run(
        "events", "--json", "--since", since, "--until", str(time.time()),
        cwd=project).stdout.splitlines()]
    order = [(e["action"], "old" if e["id"] in old else "new", e["attributes"]["name"])
             for e in events if e["action"] in ("stop", "start", "health_status: healthy")]
    assert order[:3] == [("stop", "old", "roll-web-1"), ("start", "new", "roll-web-1"),
                         ("health_status: healthy", "new", "roll-web-1")]
    assert order.index(("stop", "old", "roll-web-2")) > 2  # the second waited for the first

    compose.write_text(compose.read_text().replace("touch /tmp/ok; echo v2", "echo v3"))
    failed = stack.run("up", "-d", cwd=project, check=False, timeout=90)
    assert failed.returncode == 1
    assert "update failed (container roll-web-1 is unhealthy); rolled back" in failed.stderr
    assert running_ids(stack, project) == new
    logs = stack.run("logs", "web", cwd=project).stdout
    assert logs.count("web-1  | v2") == 2  # given back: started again
    stack.run("down", "-t", "0", cwd=project)
