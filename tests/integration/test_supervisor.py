"""The supervisor on real containers: restart back-off, autoheal, and re-adoption
after the supervisor itself is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from compose.engine import runstate
from compose.supervisor.daemon import running_pid
from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def supervisor_events(stack: Stack, project: str, event: str) -> list[dict[str, object]]:
    path = stack.root / "projects" / project / "supervisor.log"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [entry for entry in lines if entry.get("event") == event]


def test_a_crash_loop_is_restarted_with_growing_delays(busybox_stack: Stack,
                                                      tmp_path: Path) -> None:
    project = write_compose(tmp_path / "loop", """
        services:
          flaky:
            image: busybox
            restart: on-failure
            command: ["sh", "-c", "echo attempt; exit 3"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    restarts = stack.wait_for(
        lambda: (r := supervisor_events(stack, "loop", "restarting")) and len(r) >= 5 and r,
        timeout=20)
    delays = [entry["after"] for entry in restarts[:5]]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert all(entry["exit_code"] == 3 for entry in restarts), restarts
    logs = stack.run("logs", "flaky", cwd=project).stdout
    assert logs.count("flaky-1  | attempt") >= 5
    stack.run("down", cwd=project)
    assert running_pid(stack.layout, "loop") is None


def test_an_unhealthy_container_is_restarted_by_autoheal(busybox_stack: Stack,
                                                        tmp_path: Path) -> None:
    project = write_compose(tmp_path / "heal", """
        services:
          sick:
            image: busybox
            command: ["sh", "-c", "touch /tmp/ok; sleep 2; rm /tmp/ok; exec sleep 300"]
            healthcheck:
              test: ["CMD", "test", "-f", "/tmp/ok"]
              interval: 500ms
              retries: 2
            x-pycompose:
              on_unhealthy: restart
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    health = stack.wait_for(lambda: [e["status"] for e in
                                     supervisor_events(stack, "heal", "health_status")]
                            if len(supervisor_events(stack, "heal", "health_status")) >= 2
                            else None, timeout=20)
    assert health[:2] == ["healthy", "unhealthy"]
    stack.wait_for(lambda: supervisor_events(stack, "heal", "restarting"), timeout=20)
    assert supervisor_events(stack, "heal", "autoheal")[0]["action"] == "restart"
    stack.run("down", "-t", "1", cwd=project)


def test_a_supervisor_killed_during_a_staged_restart_is_replaced_and_finishes_it(
        busybox_stack: Stack, tmp_path: Path) -> None:
    """Killed while the next run waits created under conmon (the end of its
    back-off): the next supervisor starts it, rather than leaving it created."""
    project = write_compose(tmp_path / "staged", """
        services:
          once:
            image: busybox
            restart: always
            command: ["sh", "-c", "n=$$(cat /n || echo 0); echo $$((n + 1)) > /n;
                                   [ $$n -ge 3 ] && exec sleep 300; exit 3"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    supervisor = running_pid(stack.layout, "staged")
    assert supervisor is not None
    (container,) = os.listdir(stack.layout.containers)
    fifo = stack.layout.runc_root / container / "exec.fifo"  # created, not started
    runs = stack.layout.containers / container / "upper" / "n"
    # three crashes: the back-off before the fourth run is 0.4 s, staged 0.25 s ahead
    stack.wait_for(lambda: runs.exists() and runs.read_text().strip() == "3", timeout=20,
                   interval=0.01)
    stack.wait_for(fifo.exists, timeout=20, interval=0.002)
    os.kill(supervisor, signal.SIGSTOP)  # at once, so that it cannot start it
    os.kill(supervisor, signal.SIGKILL)
    stack.wait_for(lambda: running_pid(stack.layout, "staged") is None, timeout=5)
    assert fifo.exists()
    stack.run("ps", cwd=project)  # starts a new supervisor
    stack.wait_for(lambda: stack.ps(project)[0]["State"] == "running", timeout=10)
    assert not fifo.exists()
    assert runs.read_text().strip() == "4"
    # the restart it had decided, not one more of its own
    assert runstate.read_restart(stack.layout.container_dir(container)).restarts == 3
    stack.run("down", "-t", "0", cwd=project)


def test_a_killed_supervisor_is_replaced_and_takes_over(busybox_stack: Stack,
                                                       tmp_path: Path) -> None:
    project = write_compose(tmp_path / "adopt", """
        services:
          srv:
            image: busybox
            restart: always
            command: ["sh", "-c", "trap 'exit 0' TERM; echo up; sleep 300 & wait"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    first = running_pid(stack.layout, "adopt")
    assert first is not None
    os.kill(first, signal.SIGKILL)
    stack.wait_for(lambda: running_pid(stack.layout, "adopt") is None, timeout=5)
    rows = [json.loads(line) for line in
            stack.run("ps", "--format", "json", cwd=project).stdout.splitlines()]
    assert [r["State"] for r in rows] == ["running"]  # conmon kept it running meanwhile
    second = running_pid(stack.layout, "adopt")  # `ps` started a new supervisor
    assert second is not None and second != first
    # The new supervisor watches the container: crash it and see it come back.
    container = rows[0]["ID"]
    time.sleep(0.5)
    subprocess.run(["runc", "--root", str(stack.layout.runc_root), "kill", container, "KILL"],
                   check=True)
    stack.wait_for(lambda: supervisor_events(stack, "adopt", "restarting"), timeout=10)
    stack.wait_for(lambda: stack.run("logs", cwd=project).stdout.count("srv-1  | up") == 2,
                   timeout=10)
    stack.run("down", "-t", "1", cwd=project)


def test_attached_up_follows_a_container_across_its_restarts(busybox_stack: Stack,
                                                             tmp_path: Path) -> None:
    project = write_compose(tmp_path / "again", """
        services:
          retry:
            image: busybox
            restart: on-failure:2
            command: ["sh", "-c", "echo attempt; sleep 0.3; exit 1"]
    """).parent
    result = busybox_stack.run("up", cwd=project, timeout=60)
    assert result.stdout.count("retry-1  | attempt") == 3  # the run and two restarts
    assert result.stdout.count("retry-1 exited with code 1") == 3
    busybox_stack.run("down", cwd=project)


SELFHEAL = Path(__file__).resolve().parents[2] / "samples" / "selfheal"


def test_the_selfheal_sample(busybox_stack: Stack) -> None:
    """Health-gated start order, a one-shot migration, restarts and autoheal."""
    stack = busybox_stack
    result = stack.run("up", "-d", cwd=SELFHEAL, timeout=90)
    assert "Container selfheal-db-1  Healthy" in result.stderr
    rows = {json.loads(line)["Service"]: json.loads(line) for line in
            stack.run("ps", "-a", "--format", "json", cwd=SELFHEAL).stdout.splitlines()}
    assert rows["migrate"]["State"] == "exited" and rows["migrate"]["ExitCode"] == 0
    assert rows["app"]["State"] == "running"
    logs = stack.run("logs", "-t", "db", "migrate", "app", cwd=SELFHEAL).stdout
    times = {text: line.split()[2] for line in logs.splitlines()
             for text in ("db ready", "migrating", "app started") if text in line}
    assert times["db ready"] < times["migrating"] < times["app started"]
    stack.wait_for(lambda: stack.run("logs", "flaky", cwd=SELFHEAL).stdout
                   .count("flaky: up") >= 2, timeout=20)
    stack.wait_for(lambda: supervisor_events(stack, "selfheal", "autoheal"), timeout=30)
    stack.wait_for(lambda: stack.run("logs", "watchdog", cwd=SELFHEAL).stdout
                   .count("watchdog: alive") >= 2, timeout=20)
    stack.run("down", "-t", "1", cwd=SELFHEAL)


def test_a_failed_dependency_fails_its_dependent(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "fails", """
        services:
          migrate:
            image: busybox
            command: ["sh", "-c", "exit 4"]
          app:
            image: busybox
            command: ["sleep", "300"]
            depends_on:
              migrate:
                condition: service_completed_successfully
    """).parent
    stack = busybox_stack
    result = stack.run("up", "-d", cwd=project, check=False)
    assert result.returncode == 1
    assert "error: service migrate didn't complete successfully: exit 4" in result.stderr
    rows = {json.loads(line)["Service"]: json.loads(line)["State"] for line in
            stack.run("ps", "-a", "--format", "json", cwd=project).stdout.splitlines()}
    assert rows == {"migrate": "exited", "app": "created"}
    stack.run("down", cwd=project)


def test_dependents_with_restart_true_follow_their_dependency(busybox_stack: Stack,
                                                              tmp_path: Path) -> None:
    project = write_compose(tmp_path / "along", """
        services:
          db:
            image: busybox
            restart: on-failure
            init: true
            # crashes once, two seconds in; its files outlive the restart
            command: ["sh", "-c", "[ -f /ran ] && exec sleep 300; touch /ran; sleep 2; exit 1"]
          web:
            image: busybox
            init: true
            command: ["sh", "-c", "echo web start; exec sleep 300"]
            depends_on:
              db:
                condition: service_started
                restart: true
          other:
            image: busybox
            init: true
            command: ["sh", "-c", "echo other start; exec sleep 300"]
            depends_on: [db]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    stack.wait_for(lambda: supervisor_events(stack, "along", "restarting dependent"), timeout=20)
    logs = stack.wait_for(lambda: (out := stack.run("logs", cwd=project).stdout)
                          .count("web start") == 2 and out, timeout=20)
    assert logs.count("other start") == 1  # no restart: true
    rows = [json.loads(line) for line in
            stack.run("ps", "--format", "json", cwd=project).stdout.splitlines()]
    assert {r["Service"] for r in rows} == {"db", "web", "other"}
    stack.run("down", "-t", "0", cwd=project)


def test_the_supervisor_answers_on_its_root_only_socket(busybox_stack: Stack,
                                                        tmp_path: Path) -> None:
    import stat

    import trio

    from compose.supervisor import control

    project = write_compose(tmp_path / "sock", """
        services:
          a:
            image: busybox
            init: true
            command: ["sleep", "300"]
          b:
            image: busybox
            init: true
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    path = control.socket_path(stack.layout, "sock")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    answer = trio.run(control.request, path, {"op": "status"})
    assert answer is not None and answer["watching"] == ["sock-a-1", "sock-b-1"]
    assert answer["pid"] == running_pid(stack.layout, "sock")
    stack.run("down", "-t", "0", cwd=project)
    assert not path.exists()


def test_a_container_whose_image_is_gone_does_not_end_the_supervision(
        busybox_stack: Stack, tmp_path: Path) -> None:
    """The image of one crash-looping container is removed under it (and its root
    filesystem unmounted, as after a reboot): its restarts fail, are backed off and
    retried, the other service keeps being restarted, and once the image is back the
    container runs again, all under the same supervisor."""
    stack = busybox_stack
    stack.run("image", "tag", "busybox", "doomed:1")
    project = write_compose(tmp_path / "gone", """
        services:
          doomed:
            image: doomed:1
            restart: always
            command: ["sh", "-c", "sleep 0.5; exit 1"]
          steady:
            image: busybox
            restart: always
            command: ["sh", "-c", "sleep 0.5; exit 1"]
    """).parent
    stack.run("up", "-d", cwd=project)
    supervisor = running_pid(stack.layout, "gone")
    doomed = stack.run("ps", "-a", "-q", "doomed", cwd=project).stdout.split()[0]
    stack.run("image", "rm", "-f", "doomed:1")
    subprocess.run(["umount", "-l", str(stack.layout.container_dir(doomed) / "rootfs")],
                   check=True)
    failed = stack.wait_for(lambda: (r := supervisor_events(stack, "gone", "restart failed"))
                            and len(r) >= 3 and r, timeout=30)
    # a restart staged between the image's removal and the unmount finds an empty
    # root (runc cannot exec sh); the ones after find the image gone
    assert any("doomed:1" in str(event["error"]) for event in failed), failed
    before = len([e for e in supervisor_events(stack, "gone", "restarting")
                  if e["container"] == "gone-steady-1"])
    stack.wait_for(lambda: len([e for e in supervisor_events(stack, "gone", "restarting")
                                if e["container"] == "gone-steady-1"]) > before + 1, timeout=20)
    assert running_pid(stack.layout, "gone") == supervisor  # the supervisor lived on
    stack.run("image", "tag", "busybox", "doomed:1")
    stack.wait_for(lambda: os.path.ismount(stack.layout.container_dir(doomed) / "rootfs"),
                   timeout=40)  # the next attempt mounted it again and started it
    stack.run("down", "-t", "0", cwd=project)
