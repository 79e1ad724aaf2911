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
