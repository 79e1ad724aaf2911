"""``post_start`` and ``pre_stop`` hooks on real containers: run inside the
container in order, with their own user, working directory, environment and
privileges, on every start and stop (``up``, ``restart``, ``down``, a restart by
the supervisor); their output in the service's logs; a failing ``post_start``
fails ``up`` with its exit status, a failing ``pre_stop`` does not stop a stop."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose

CAP_SYS_ADMIN = 21  # not among Docker's default capabilities

HOOKS = """
    services:
      web:
        image: busybox
        init: true
        command: ["sleep", "300"]
        environment: {FROM_SERVICE: svc}
        volumes: [data:/data]
        post_start:
          - command: ["sh", "-c", "mkdir -p /hooks && echo first >> /hooks/order &&
                       chmod 666 /hooks/order && echo hello from post_start"]
          - command: ["sh", "-c", "echo second $$HOOK_VAR $$FROM_SERVICE $$(pwd) $$(id -u)
                       >> /hooks/order"]
            user: "1000"
            working_dir: /etc
            environment: [HOOK_VAR=set]
          - command: ["sh", "-c", "grep CapEff /proc/self/status >> /hooks/caps"]
            privileged: true
          - command: ["sh", "-c", "grep CapEff /proc/self/status >> /hooks/caps"]
        pre_stop:
          - command: ["sh", "-c", "echo stopping $$(cat /hooks/order | wc -l) >> /data/stops;
                       echo goodbye from pre_stop"]
    volumes:
      data: {}
"""


def _effective(line: str) -> int:
    return int(line.split()[1], 16)


def test_hooks_run_in_order_on_every_start_and_stop(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "hooks", HOOKS).parent
    stack.run("up", "-d", cwd=project)

    order = stack.run("exec", "-T", "web", "cat", "/hooks/order", cwd=project).stdout
    assert order == "first\nsecond set svc /etc 1000\n"
    caps = stack.run("exec", "-T", "web", "cat", "/hooks/caps", cwd=project).stdout.splitlines()
    privileged, plain = (_effective(line) for line in caps)
    assert privileged >> CAP_SYS_ADMIN & 1 and not plain >> CAP_SYS_ADMIN & 1
    assert "hello from post_start" in stack.run("logs", "web", cwd=project).stdout

    stack.run("restart", "web", cwd=project)  # pre_stop, then the post_start hooks again
    order = stack.run("exec", "-T", "web", "cat", "/hooks/order", cwd=project).stdout
    assert order.count("first\nsecond set svc /etc 1000\n") == 2

    stack.run("down", cwd=project)  # pre_stop once more, before the stop signal
    stops = stack.layout.volumes / "hooks_data" / "_data" / "stops"
    assert stops.read_text() == "stopping 2\nstopping 4\n"
    stack.run("volume", "rm", "hooks_data")


FAILING = """
    services:
      web:
        image: busybox
        init: true
        command: ["sleep", "300"]
        post_start:
          - command: ["sh", "-c", "echo about to fail; exit 3"]
          - command: ["sh", "-c", "echo never reached"]
        pre_stop:
          - command: ["sh", "-c", "echo cannot stop cleanly >&2; exit 5"]
"""


def test_a_failing_post_start_fails_up_with_its_exit_status(busybox_stack: Stack,
                                                             tmp_path: Path) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "failing", FAILING).parent
    up = stack.run("up", "-d", cwd=project, check=False)
    assert up.returncode == 3
    errors = [line for line in up.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: service web: post_start hook 1 (sh -c 'echo about to fail; "
                      "exit 3') exited with status 3"]
    logs = stack.run("logs", "web", cwd=project).stdout
    assert "about to fail" in logs and "never reached" not in logs

    down = stack.run("down", cwd=project)  # the failing pre_stop is said, the stop goes on
    assert "service web: pre_stop hook 1" in down.stderr
    assert "exited with status 5; stopping anyway" in down.stderr
    assert stack.ps(project) == []


RESTARTED = """
    services:
      flaky:
        image: busybox
        restart: always
        command: ["sh", "-c", "sleep 0.5; exit 1"]
        volumes: [data:/data]
        post_start:
          - command: ["sh", "-c", "echo started >> /data/starts"]
    volumes:
      data: {}
"""


def test_the_supervisor_runs_post_start_on_each_restart(busybox_stack: Stack,
                                                        tmp_path: Path) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "restarted", RESTARTED).parent
    stack.run("up", "-d", cwd=project)
    starts = stack.layout.volumes / "restarted_data" / "_data" / "starts"
    stack.wait_for(lambda: starts.exists() and starts.read_text().count("started") >= 3)
    stack.run("down", "-v", cwd=project)


ATTACHED = """
    services:
      job:
        image: busybox
        command: ["sh", "-c", "sleep 1; echo job done"]
        post_start:
          - command: ["sh", "-c", "echo hook ran"]
"""


def test_attached_up_shows_hook_output_with_the_service(busybox_stack: Stack,
                                                        tmp_path: Path) -> None:
    stack = busybox_stack
    project = write_compose(tmp_path / "attached", ATTACHED).parent
    up = stack.run("up", cwd=project)
    assert "job-1  | hook ran" in up.stdout and "job-1  | job done" in up.stdout
    stack.run("down", cwd=project)


CLOSED = """
    services:
      quiet:
        image: busybox
        command: ["sh", "-c", "exec sleep 300 >&- 2>&-"]
        post_start:
          - command: ["sh", "-c", "echo hook still heard; echo on stderr too >&2"]
"""


def test_hook_output_is_logged_when_the_container_closed_its_own(busybox_stack: Stack,
                                                                 tmp_path: Path) -> None:
    """Hook output goes through the container's stdout and stderr (conmon's pipes);
    a main process that closed them has the lines appended to its log instead."""
    stack = busybox_stack
    project = write_compose(tmp_path / "closed", CLOSED).parent
    stack.run("up", "-d", cwd=project)
    logs = stack.run("logs", "quiet", cwd=project).stdout
    assert "hook still heard" in logs and "on stderr too" in logs
    stack.run("down", "-t", "0", cwd=project)
