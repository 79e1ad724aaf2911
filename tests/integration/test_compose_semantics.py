"""Docker Compose's run-time semantics where a user (or a script) relies on them:
verbs that need only a project name work without a Compose file, and a second
``up`` says which containers it left running."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from compose.supervisor.daemon import running_pid
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


def _actions(stack: Stack, project: Path, service: str) -> list[str]:
    out = stack.run("events", "--json", "--since", "1h", "--until", "0s", service,
                    cwd=project).stdout
    return [json.loads(line)["action"] for line in out.splitlines()]


def test_one_die_per_exit_and_die_before_stop(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "ev", """
        services:
          once:
            image: busybox
            command: ["sh", "-c", "exit 2"]
          long:
            image: busybox
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    stack.wait_for(lambda: "die" in _actions(stack, project, "once"), timeout=20)
    for _ in range(3):  # each new supervisor looks at the exited container again
        pid = running_pid(stack.layout, "ev")
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        stack.wait_for(lambda: running_pid(stack.layout, "ev") is None, timeout=10)
        stack.run("ps", cwd=project)  # adopts: a new supervisor
        stack.wait_for(lambda: running_pid(stack.layout, "ev") is not None, timeout=10)
    time.sleep(1)
    assert _actions(stack, project, "once").count("die") == 1
    stack.run("stop", "long", cwd=project)
    actions = _actions(stack, project, "long")
    assert actions.count("die") == 1
    assert actions.index("die") < actions.index("stop"), actions
    stack.run("down", "-t", "0", cwd=project)


def test_listings_take_go_templates(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "proj", TWO).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    names = stack.run("ps", "--format", "{{.Name}}", cwd=project).stdout.split()
    assert names == ["named-db-1", "named-web-1"]
    table = stack.run("ps", "--format", r"table {{.Service}}\t{{.State}}",
                      cwd=project).stdout.splitlines()
    assert table == ["SERVICE   STATE", "db        running", "web       running"]
    assert stack.run("ls", "--format", "{{.Name}} {{.Status}}",
                     cwd=project).stdout.split("\n")[0] == "named running(2)"
    assert "busybox" in stack.run("images", "--format", "{{.Repository}}:{{.Tag}}",
                                  cwd=project).stdout
    bad = stack.run("ps", "--format", "{{.Nope}}", cwd=project, check=False)
    assert bad.returncode == 1 and "no field .Nope" in bad.stderr
    stack.run("down", "-t", "0", cwd=project)


def test_a_recreated_container_with_a_reused_address_is_reachable_at_once(
        busybox_stack: Stack, tmp_path: Path) -> None:
    """The replacement gets the old container's address and, as in Docker, the MAC
    derived from it: a peer's neighbour entry stays right, no wait for it to expire."""
    project = write_compose(tmp_path / "reuse", """
        services:
          web:
            image: busybox
            command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html &&
                      exec httpd -f -p 8080 -h /www"]
          client:
            image: busybox
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack

    def fetch() -> str:
        # busybox-static's wget crashes with -T: its timeout applet bounds it instead
        return stack.run("exec", "-T", "client", "timeout", "1", "wget", "-q", "-O-",
                         "http://web:8080/", cwd=project, check=False, timeout=10).stdout

    def address() -> str:
        return str(stack.run("exec", "-T", "web", "ip", "-4", "-o", "addr", "show", "eth0",
                             cwd=project).stdout.split()[3])

    stack.run("up", "-d", cwd=project)
    try:
        stack.wait_for(lambda: fetch().strip() != "", timeout=10)
        addresses = [address()]
        for _ in range(3):
            stack.run("up", "-d", "--force-recreate", "web", cwd=project)
            started = time.monotonic()
            answer = ""
            while not answer and time.monotonic() - started < 1.0:
                answer = fetch().strip()
            assert answer, f"not reachable within 1 s of starting (after {addresses})"
            addresses.append(address())
        assert len(set(addresses)) < len(addresses), addresses  # an address came back
    finally:
        stack.run("down", "-t", "0", cwd=project)


def test_a_changed_network_is_made_again_with_its_containers(busybox_stack: Stack,
                                                             tmp_path: Path) -> None:
    project = write_compose(tmp_path / "net", """
        services:
          app:
            image: busybox
            command: ["sleep", "300"]
          other:
            image: busybox
            command: ["sleep", "300"]
            networks: [side]
        networks:
          default:
            ipam:
              config:
                - subnet: ${SUBNET}
          side: {}
    """).parent
    stack = busybox_stack

    def address(service: str) -> str:
        return str(stack.run("exec", "-T", service, "ip", "-4", "-o", "addr", "show", "eth0",
                             cwd=project).stdout.split()[3])

    base = dict(stack.env)
    try:
        stack.env = {**base, "SUBNET": "10.201.0.0/24"}
        stack.run("up", "-d", cwd=project)
        assert address("app").startswith("10.201.0.")
        side = address("other")
        (before,) = [r["ID"] for r in stack.ps(project) if r["Service"] == "other"]
        stack.env = {**base, "SUBNET": "10.202.0.0/24"}
        stack.run("up", "-d", cwd=project)
        assert address("app").startswith("10.202.0.")  # moved to the new subnet
        (after,) = [r["ID"] for r in stack.ps(project) if r["Service"] == "other"]
        assert (after, address("other")) == (before, side)  # the other network: untouched
    finally:
        stack.env = {**base, "SUBNET": "10.202.0.0/24"}
        stack.run("down", "-t", "0", cwd=project)
        stack.env = base


def test_a_changed_volume_is_made_again_without_a_terminal(busybox_stack: Stack,
                                                           tmp_path: Path) -> None:
    """No terminal to ask on: Docker Compose's question is answered yes."""
    project = write_compose(tmp_path / "vol", """
        services:
          app:
            image: busybox
            command: ["sleep", "300"]
            volumes: [data:/data]
        volumes:
          data:
            labels:
              version: "${VERSION}"
    """).parent
    stack = busybox_stack
    base = dict(stack.env)
    try:
        stack.env = {**base, "VERSION": "1"}
        stack.run("up", "-d", cwd=project)
        stack.run("exec", "-T", "app", "touch", "/data/kept", cwd=project)
        stack.env = {**base, "VERSION": "2"}
        again = stack.run("up", "-d", cwd=project)
        assert "Traceback" not in again.stderr
        listing = stack.run("exec", "-T", "app", "ls", "/data", cwd=project).stdout
        assert "kept" not in listing  # a new volume
        inspected = json.loads(stack.run("volume", "inspect", "vol_data", cwd=project).stdout)
        assert inspected[0]["Labels"]["version"] == "2"
    finally:
        stack.run("down", "-t", "0", "-v", cwd=project)
        stack.env = base


def test_ps_filters_by_status_and_orphans_as_docker_compose(busybox_stack: Stack,
                                                            tmp_path: Path) -> None:
    stack = busybox_stack
    compose = """
        services:
          up:
            image: busybox
            command: ["sh", "-c", "exec sleep 300 # a command longer than twenty"]
          done:
            image: busybox
            command: ["true"]
          gone:
            image: busybox
            command: ["sleep", "300"]
    """
    project = write_compose(tmp_path / "st", compose).parent
    stack.run("up", "-d", cwd=project)
    stack.wait_for(lambda: "st-done-1" in stack.run("ps", "--status", "exited", "--format",
                                                    "{{.Name}}", cwd=project).stdout)

    def names(*flags: str) -> list[str]:
        out = stack.run("ps", *flags, "--format", "{{.Name}}", cwd=project).stdout
        return sorted(out.split())

    assert names("--status", "exited") == ["st-done-1"]  # stopped ones without -a
    assert names("--filter", "status=running") == ["st-gone-1", "st-up-1"]
    assert names("--status", "running", "--status", "exited") == \
        ["st-done-1", "st-gone-1", "st-up-1"]
    bad = stack.run("ps", "--filter", "name=x", cwd=project, check=False)
    assert bad.returncode == 1 and "unknown filter name" in bad.stderr
    table = stack.run("ps", "--no-trunc", cwd=project).stdout
    assert "# a command longer than twenty" in table
    assert "…" in stack.run("ps", cwd=project).stdout
    write_compose(tmp_path / "st", compose.split("          gone:")[0])  # gone: an orphan
    assert "st-gone-1" in names()
    assert names("--orphans=false") == ["st-up-1"]
    stack.run("down", "-t", "0", "--remove-orphans", cwd=project)
