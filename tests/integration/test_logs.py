"""``logs --tail/--since/--until`` over conmon's real log files."""

from __future__ import annotations

from pathlib import Path

from tests.integration.conftest import Stack
from tests.integration.test_skeleton import write_compose


def test_tail_since_and_until(busybox_stack: Stack, tmp_path: Path) -> None:
    project = write_compose(tmp_path / "chatty", """
        services:
          talker:
            image: busybox
            command: ["sh", "-c", "for i in 1 2 3 4 5; do echo line $$i; done"]
    """).parent
    stack = busybox_stack
    stack.run("up", cwd=project)
    every = stack.run("logs", "--no-log-prefix", cwd=project).stdout.splitlines()
    assert every == [f"line {i}" for i in range(1, 6)]
    assert stack.run("logs", "--tail", "2", "--no-log-prefix", cwd=project).stdout.splitlines() \
        == ["line 4", "line 5"]
    assert stack.run("logs", "-n", "0", cwd=project).stdout == ""
    assert stack.run("logs", "--since", "1h", "--no-log-prefix",
                     cwd=project).stdout.splitlines() == every
    assert stack.run("logs", "--until", "2000-01-01T00:00:00Z", cwd=project).stdout == ""
    bad = stack.run("logs", "--since", "yesterday", cwd=project, check=False)
    assert bad.returncode != 0 and "invalid time 'yesterday'" in bad.stderr
    stack.run("down", cwd=project)
