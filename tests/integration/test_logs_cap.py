"""A container's log file stays under its cap (``logging.options.max-size``):
conmon starts it anew, and ``logs`` shows the newest lines."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def test_the_log_file_is_capped(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "loud", """
        services:
          loud:
            image: busybox
            init: true
            logging:
              options:
                max-size: 16k
            command:
              - sh
              - -c
              - i=0; while [ $$i -lt 2000 ]; do echo line $$i; i=$$((i+1)); done;
                sleep 1; echo last; exec sleep 300
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    stack.wait_for(lambda: "last" in stack.run("logs", cwd=project).stdout, timeout=20)
    logs = list(stack.root.glob("containers/*/ctr.log"))
    assert len(logs) == 1 and logs[0].stat().st_size <= 16 * 1024
    tail = stack.run("logs", "--tail", "2", "--no-log-prefix", cwd=project).stdout
    assert tail.splitlines() == ["line 1999", "last"]
    stack.run("down", cwd=project)


def test_replaced_log_files_are_kept_up_to_max_file(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    project = write_compose(tmp_path / "kept", """
        services:
          loud:
            image: busybox
            init: true
            logging:
              options:
                max-size: 16k
                max-file: "3"
            command:
              - sh
              - -c
              - sleep 2; for b in 1 2 3 4 5 6; do i=0; while [ $$i -lt 300 ]; do
                echo b$$b $$i; i=$$((i+1)); done; sleep 0.7; done; echo last; exec sleep 300
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    stack.wait_for(lambda: "last" in stack.run("logs", cwd=project).stdout, timeout=30)
    [directory] = stack.root.glob("containers/*/")
    kept = sorted(p.name for p in directory.glob("ctr.log.[0-9]*"))
    assert kept == ["ctr.log.1", "ctr.log.2"]
    lines = stack.run("logs", "--no-log-prefix", cwd=project).stdout.splitlines()
    current = (directory / "ctr.log").read_text().count("\n")
    assert len(lines) > current + 300  # the kept files are shown too, oldest first
    ordered = sorted(lines[:-1], key=lambda t: (int(t.split()[0][1:]), int(t.split()[1])))
    assert lines == [*ordered, "last"]
    stack.run("down", cwd=project)


def test_logs_follow_prints_every_line_once_across_rotations(busybox_stack: Stack,
                                                             tmp_path: Path) -> None:
    """A 1k cap: the file is started anew every ~20 lines; ``logs -f`` follows across
    ten and more rotations and prints each line exactly once."""
    project = write_compose(tmp_path / "rot", """
        services:
          loud:
            image: busybox
            init: true
            logging:
              options:
                max-size: 1k
                max-file: "20"
            command:
              - sh
              - -c
              - sleep 1; i=0; while [ $$i -lt 300 ]; do echo line $$i; i=$$((i+1));
                [ $$((i % 25)) -eq 0 ] && sleep 0.05; done; echo last
    """).parent
    stack = busybox_stack
    stack.run("up", "-d", cwd=project)
    follower = stack.popen("logs", "-f", "--no-log-prefix", cwd=project)
    out, _ = follower.communicate(timeout=60)  # until the container has exited
    lines = [line for line in out.splitlines() if line.startswith(("line ", "last"))]
    assert lines == [f"line {i}" for i in range(300)] + ["last"]
    [directory] = stack.root.glob("containers/*/")
    assert len(list(directory.glob("ctr.log.[0-9]*"))) >= 10  # it did rotate
    stack.run("down", cwd=project)
