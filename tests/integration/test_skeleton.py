"""End to end on real runc containers: the hello sample, attached and detached
``up``, graceful stop, ``down`` leaving nothing (checked by the ``stack`` fixture)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import textwrap
from pathlib import Path

from tests.integration.conftest import REPO, Stack, force_clean

HELLO = REPO / "samples" / "hello"


def write_compose(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "compose.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_hello_sample_fetches_page_by_service_name(busybox_stack: Stack) -> None:
    stack = busybox_stack
    stack.run("up", "-d", cwd=HELLO)

    def fetched() -> str | None:
        out = stack.run("logs", "client", cwd=HELLO).stdout
        return out if "client got: Hello from" in out else None

    out = stack.wait_for(fetched)
    assert "client-1  | client got: Hello from" in out
    rows = [json.loads(line) for line in
            stack.run("ps", "--format", "json", cwd=HELLO).stdout.splitlines()]
    assert {(r["Name"], r["Service"], r["State"]) for r in rows} == {
        ("hello-web-1", "web", "running"), ("hello-client-1", "client", "running")}
    assert all(r["Project"] == "hello" and r["Networks"] == "hello_default" for r in rows)
    bridges = [name for name in stack.links() if name.startswith("pc")]
    assert len(bridges) == 1
    stack.run("down", cwd=HELLO)
    assert stack.links() == ["lo"]


def test_up_is_idempotent(busybox_stack: Stack) -> None:
    stack = busybox_stack
    stack.run("up", "-d", cwd=HELLO)
    first = stack.run("ps", "-q", cwd=HELLO).stdout.split()
    again = stack.run("up", "-d", cwd=HELLO)
    assert "Created" not in again.stderr
    assert stack.run("ps", "-q", cwd=HELLO).stdout.split() == first
    stack.run("down", cwd=HELLO)


def test_attached_up_returns_when_all_containers_exit(busybox_stack: Stack, tmp_path: Path) -> None:
    project = tmp_path / "oneshot"
    write_compose(project, """
        services:
          first:
            image: busybox
            command: ["sh", "-c", "echo one from $$NAME; exit 3"]
            environment:
              NAME: first
          second:
            image: busybox
            entrypoint: ["echo"]
            command: two
    """)
    result = busybox_stack.run("up", cwd=project, timeout=60)
    assert result.returncode == 0
    assert "first-1   | one from first" in result.stdout
    assert "second-1  | two" in result.stdout
    assert "first-1 exited with code 3" in result.stdout
    assert "second-1 exited with code 0" in result.stdout
    rows = [json.loads(line) for line in
            busybox_stack.run("ps", "-a", "--format", "json", cwd=project).stdout.splitlines()]
    assert {(r["Service"], r["State"], r["ExitCode"]) for r in rows} == {
        ("first", "exited", 3), ("second", "exited", 0)}
    busybox_stack.run("down", cwd=project)


def test_ctrl_c_stops_the_stack_gracefully(busybox_stack: Stack) -> None:
    stack = busybox_stack
    process = stack.popen("up", cwd=HELLO)
    assert process.stdout is not None
    for line in process.stdout:
        if "client got: Hello from" in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Gracefully stopping" in err
    assert "web-1 exited with code 0" in out  # the trap ran: SIGTERM, not SIGKILL
    assert stack.run("ps", cwd=HELLO).stdout.strip().count("\n") == 0  # header only
    stack.run("down", cwd=HELLO)


def test_container_has_its_own_namespaces_and_network(busybox_stack: Stack,
                                                      tmp_path: Path) -> None:
    project = tmp_path / "inside"
    write_compose(project, """
        services:
          peer:
            image: busybox
            command: ["sleep", "30"]
          probe:
            image: busybox
            depends_on: [peer]
            command:
              - sh
              - -c
              - |
                echo "pid=$$$$"
                echo "hostname=$$(hostname)"
                ip -o -4 addr show eth0 | awk '{print "addr=" $$4}'
                ip route | grep default
                grep -w peer /etc/hosts
                ping -c 1 -W 2 peer >/dev/null && echo "ping=ok"
                cat /proc/self/status | grep CapEff
    """)
    stack = busybox_stack
    result = stack.run("up", "probe", "--no-log-prefix", "-t", "1", cwd=project, check=False)
    out = result.stdout
    assert "pid=1" in out
    assert "addr=10.89." in out
    assert "default via 10.89." in out
    assert "ping=ok" in out
    assert "CapEff:\t00000000a80425fb" in out  # Docker's default capabilities, tab kept
    assert "peer-1 exited" not in out  # only the named service is attached
    hostname = next(line.split("=", 1)[1] for line in out.splitlines()
                    if line.startswith("hostname="))
    ids = stack.run("ps", "-a", "-q", "probe", cwd=project).stdout.split()
    assert ids and ids[0].startswith(hostname)
    stack.run("down", "-t", "1", cwd=project)


def test_exited_container_is_started_again_with_its_writable_layer(busybox_stack: Stack,
                                                                   tmp_path: Path) -> None:
    project = write_compose(tmp_path / "again", """
        services:
          once:
            image: busybox
            command: ["sh", "-c", "cat /tmp/m 2>/dev/null || echo first; echo kept > /tmp/m"]
    """).parent
    stack = busybox_stack
    stack.run("up", cwd=project)
    first_id = stack.run("ps", "-a", "-q", cwd=project).stdout.split()
    result = stack.run("up", cwd=project)
    assert "once-1  | kept" in result.stdout
    assert stack.run("ps", "-a", "-q", cwd=project).stdout.split() == first_id
    stack.run("down", cwd=project)


def test_up_recovers_after_the_runtime_state_is_lost(busybox_stack: Stack,
                                                     tmp_path: Path) -> None:
    """As after a reboot: conmon, runc state, mounts, namespaces and bridges gone;
    the records on disk remain and ``up`` brings the same container back."""
    project = write_compose(tmp_path / "reboot", """
        services:
          srv:
            image: busybox
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    ids = stack.run("ps", "-q", cwd=project).stdout.split()
    force_clean(stack)  # kills conmon, deletes runc state, unmounts
    for link in stack.links():
        if link != "lo":
            subprocess.run(["ip", "-n", stack.netns, "link", "del", link], check=False)
    shutil.rmtree(stack.layout.run)
    rows = [json.loads(line) for line in
            stack.run("ps", "-a", "--format", "json", cwd=project).stdout.splitlines()]
    assert [r["State"] for r in rows] == ["dead"]
    stack.run("up", "-d", cwd=project)
    rows = [json.loads(line) for line in
            stack.run("ps", "--format", "json", cwd=project).stdout.splitlines()]
    assert [(r["ID"], r["State"]) for r in rows] == [(ids[0], "running")]
    stack.run("down", "-t", "1", cwd=project)


def test_attached_up_leaves_out_attach_false_services(busybox_stack: Stack,
                                                      tmp_path: Path) -> None:
    """``attach: false``: not streamed by ``up`` (its logs are kept), unless
    ``--attach`` names it, as in docker compose."""
    project = tmp_path / "quiet"
    write_compose(project, """
        services:
          loud:
            image: busybox
            command: ["echo", "loud says hi"]
          quiet:
            image: busybox
            attach: false
            command: ["echo", "quiet says hi"]
    """)
    try:
        result = busybox_stack.run("up", cwd=project, timeout=60)
        assert "loud-1  | loud says hi" in result.stdout
        assert "quiet" not in result.stdout
        assert "quiet says hi" in busybox_stack.run("logs", "quiet", cwd=project).stdout
        named = busybox_stack.run("up", "--attach", "quiet", cwd=project, timeout=60)
        assert "quiet-1  | quiet says hi" in named.stdout
    finally:
        busybox_stack.run("down", cwd=project)


def test_ctrl_c_of_up_with_named_services_stops_their_dependencies_too(
        busybox_stack: Stack, tmp_path: Path) -> None:
    """``up app`` follows only app; Ctrl-C stops every level, back to front, though
    app's exit ends the following before the dependency's stop has begun (the stop
    was cancelled with the following, leaving the dependency running)."""
    project = tmp_path / "named"
    write_compose(project, """
        services:
          dep:
            image: busybox
            command: ["sh", "-c", "trap 'sleep 1; exit 0' TERM; while :; do sleep 0.1; done"]
          app:
            image: busybox
            init: true
            depends_on: [dep]
            command: ["sh", "-c", "echo app ready; sleep 3600"]
    """)
    stack = busybox_stack
    process = stack.popen("up", "app", cwd=project)
    assert process.stdout is not None
    for line in process.stdout:
        if "app ready" in line:
            break
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    rows = [json.loads(line) for line in
            stack.run("ps", "-a", "--format", "json", cwd=project).stdout.splitlines()]
    assert {(r["Service"], r["State"]) for r in rows} == {
        ("app", "exited"), ("dep", "exited")}, rows
    stack.run("down", cwd=project)
