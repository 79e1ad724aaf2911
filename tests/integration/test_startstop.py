"""start, stop and restart on real containers: dependency order both ways, and a
stopped ``restart: always`` container left stopped by the supervisor."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from common import state
from compose.supervisor.daemon import running_pid
from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

CHAIN = """
    services:
      db:
        image: busybox
        restart: always
        init: true
        command: ["sh", "-c", "echo db up; exec sleep 300"]
        healthcheck:
          test: ["CMD", "true"]
          interval: 300ms
      web:
        image: busybox
        restart: always
        init: true
        command: ["sh", "-c", "echo web up; exec sleep 300"]
        depends_on:
          db:
            condition: service_healthy
      worker:
        image: busybox
        init: true
        command: ["sh", "-c", "echo worker up; exec sleep 300"]
        depends_on:
          db:
            condition: service_started
            restart: true
      cache:
        image: busybox
        init: true
        command: ["sleep", "300"]
"""


ALL_RUNNING = {"db": "running", "web": "running", "worker": "running", "cache": "running"}


def states(stack: Stack, project: Path) -> dict[str, str]:
    return {r["Service"]: r["State"] for r in stack.ps(project)}


def pid(stack: Stack, project: Path, service: str) -> int:
    shown = json.loads(stack.run("inspect", service, cwd=project).stdout)
    return int(shown[0]["State"]["Pid"])


def test_stop_start_and_restart_follow_the_dependencies(busybox_stack: Stack,
                                                        tmp_path: Path) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "chain", CHAIN).parent
    stack.run("up", "-d", cwd=project)
    assert states(stack, project) == ALL_RUNNING

    stopped = stack.run("stop", "db", cwd=project)
    # web depends on db, so it goes first; cache is not touched
    assert stopped.stderr.index("web-1  Stopped") < stopped.stderr.index("db-1  Stopped")
    assert states(stack, project) == {"db": "exited", "web": "exited", "worker": "exited",
                                      "cache": "running"}
    time.sleep(1.5)  # restart: always, yet stopped by the user: the supervisor leaves them
    assert states(stack, project)["web"] == "exited"

    started = stack.run("start", "web", "worker", cwd=project)
    # db first, and web only once db is healthy
    assert started.stderr.index("db-1  Started") < started.stderr.index("db-1  Healthy") \
        < started.stderr.index("web-1  Started")
    assert states(stack, project) == ALL_RUNNING

    # only db, and worker (restart: true); web's container and process are untouched
    web_pid = pid(stack, project, "web")
    restarted = stack.run("restart", "db", cwd=project)
    for name in ("db", "worker"):
        assert f"chain-{name}-1  Started" in restarted.stderr
    assert "web" not in restarted.stderr and "cache" not in restarted.stderr
    assert pid(stack, project, "web") == web_pid
    logs = stack.run("logs", "db", "worker", cwd=project).stdout
    assert logs.count("db up") == 3 and logs.count("worker up") == 3  # up, start, restart

    stack.run("restart", "--no-deps", "db", cwd=project)
    assert stack.run("logs", "worker", cwd=project).stdout.count("worker up") == 3
    assert stack.run("logs", "web", cwd=project).stdout.count("web up") == 2
    assert states(stack, project) == ALL_RUNNING

    listed = stack.run("ls").stdout.splitlines()
    assert listed[1].split()[:3] == ["chain", "running(4)", str(project / "compose.yaml")]
    stack.run("stop", "-t", "0", cwd=project)
    assert set(states(stack, project).values()) == {"exited"}
    assert stack.run("ls", "-q").stdout == ""
    assert stack.run("ls", "-a", "-q").stdout.split() == ["chain"]
    stack.run("down", cwd=project)


def test_start_without_containers_is_an_error(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "empty", CHAIN).parent
    result = busybox_stack.run("start", cwd=project, check=False)
    assert result.returncode == 1
    assert "no container to start" in result.stderr


def test_wait_returns_the_exit_code_and_can_take_the_project_down(busybox_stack: Stack,
                                                                  tmp_path: Path) -> None:
    project = write_compose(tmp_path / "jobs", """
        services:
          job:
            image: busybox
            command: ["sh", "-c", "sleep 1; exit 7"]
          server:
            image: busybox
            init: true
            command: ["sleep", "300"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    result = stack.run("wait", "job", cwd=project, check=False)
    assert result.returncode == 7
    assert 'container "jobs-job-1" exited with status code 7' in result.stdout
    stack.run("up", "-d", cwd=project)
    result = stack.run("wait", "--down-project", "job", "server", cwd=project, check=False)
    assert result.returncode == 7
    assert stack.run("ps", "-a", "-q", cwd=project).stdout == ""


def test_events_report_create_start_die_health_and_restart(busybox_stack: Stack,
                                                           tmp_path: Path) -> None:
    project = write_compose(tmp_path / "evt", """
        services:
          flaky:
            image: busybox
            restart: on-failure:1
            command: ["sh", "-c", "sleep 0.5; exit 3"]
          checked:
            image: busybox
            init: true
            command: ["sleep", "300"]
            healthcheck:
              test: ["CMD", "true"]
              interval: 200ms
    """).parent
    stack = busybox_stack
    since = str(time.time())
    watcher = stack.popen("events", "--json", cwd=project)
    time.sleep(1.5)  # the watcher is reading before anything happens
    stack.run("up", "-d", cwd=project)

    def history() -> str:
        return stack.run("events", "--since", since, "--until", str(time.time()),
                         cwd=project).stdout

    stack.wait_for(lambda: history().count(" die ") >= 2 and "health_status" in history(),
                   timeout=30)
    time.sleep(0.5)
    watcher.terminate()
    out, _ = watcher.communicate(timeout=30)
    seen = [(e["service"], e["action"], e["attributes"].get("exitCode"))
            for e in map(json.loads, out.splitlines())]
    for expected in [("flaky", "create", None), ("flaky", "start", None),
                     ("flaky", "die", "3"), ("flaky", "restart", None),
                     ("checked", "health_status: healthy", None)]:
        assert expected in seen, seen
    assert seen.count(("flaky", "die", "3")) == 2  # the first run and its one restart
    text = stack.run("events", "--since", "1h", "--until", str(time.time()), "flaky",
                     cwd=project).stdout
    assert " container create " in text and "name=evt-flaky-1" in text
    assert "checked" not in text
    stack.run("down", "-t", "0", cwd=project)


def test_down_rmi_all_removes_the_images_the_services_used(busybox_stack: Stack,
                                                           tmp_path: Path) -> None:
    project = write_compose(tmp_path / "rmi", """
        services:
          one:
            image: busybox
            command: ["true"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    stack.run("down", "--rmi", "local", cwd=project)
    assert "busybox" in stack.run("image", "ls").stdout  # it has a name of its own
    stack.run("up", "-d", cwd=project)
    result = stack.run("down", "--rmi", "all", cwd=project)
    assert "Image busybox  Removed" in result.stderr
    assert "busybox" not in stack.run("image", "ls").stdout


def test_stop_cancels_a_pending_restart(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "loop", """
        services:
          crash:
            image: busybox
            restart: always
            command: ["sh", "-c", "sleep 0.3; exit 1"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    # let it crash a few times, so that the back-off has grown past a second
    stack.wait_for(lambda: stack.run("events", "--since", "1m", "--until", str(time.time()),
                                     cwd=project).stdout.count(" die ") >= 4, timeout=30)
    stack.run("stop", cwd=project)
    before = stack.run("events", "--since", "1m", "--until", str(time.time()),
                       cwd=project).stdout.count(" start ")
    time.sleep(4)
    after = stack.run("events", "--since", "1m", "--until", str(time.time()),
                      cwd=project).stdout.count(" start ")
    assert after == before
    assert states(stack, project) == {"crash": "exited"}
    stack.run("down", cwd=project)


def test_a_restart_staged_in_its_back_off_shows_the_last_exit_and_stop_calls_it_off(
        busybox_stack: Stack, tmp_path: Path) -> None:
    """The supervisor creates the next run (conmon + runc create) before the back-off
    ends; meanwhile the container shows its last exit, and a stop removes what was
    staged instead of letting it start."""
    project = write_compose(tmp_path / "staged", """
        services:
          crash:
            image: busybox
            restart: always
            command: ["sh", "-c", "sleep 0.2; exit 3"]
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    (record,) = state.container_records(stack.layout, project.name)
    fifo = stack.layout.runc_root / record.id / "exec.fifo"  # runc's: created, not started
    # a few crashes grow the back-off (0.1, 0.2, 0.4, 0.8 s): the staged window is long
    stack.wait_for(lambda: stack.run("events", "--since", "1m", "--until", str(time.time()),
                                     cwd=project).stdout.count(" die ") >= 3, timeout=30)
    supervisor = running_pid(stack.layout, project.name)
    assert supervisor is not None
    # catch a window at its start, not at its end: a `runc start` already under way would
    # run on while the supervisor is stopped. So wait for a run, then for the next staging.
    stack.wait_for(lambda: not fifo.exists(), timeout=30, interval=0.005)
    stack.wait_for(fifo.exists, timeout=30, interval=0.005)
    os.kill(supervisor, signal.SIGSTOP)  # the staged window lasts until it goes on
    try:
        assert fifo.exists()
        (row,) = stack.ps(project)
        assert (row["State"], row["ExitCode"]) == ("exited", 3)
        stack.run("stop", cwd=project)
    finally:
        os.kill(supervisor, signal.SIGCONT)
    starts = stack.run("events", "--since", "1m", "--until", str(time.time()),
                       cwd=project).stdout.count(" start ")
    time.sleep(2)
    assert stack.run("events", "--since", "1m", "--until", str(time.time()),
                     cwd=project).stdout.count(" start ") == starts
    (row,) = stack.ps(project)
    assert (row["State"], row["ExitCode"]) == ("exited", 3)
    assert not fifo.exists()
    stack.run("down", cwd=project)
