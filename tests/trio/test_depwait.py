"""compose/engine/depwait.py: a dependency the runtime reports stopped is reported
with its exit code, which conmon writes a moment after the process ends."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from common.paths import Layout
from common.records import ContainerRecord
from common.status import EXITED, ContainerStatus
from compose.engine.depwait import (
    HEALTHY_CONDITION,
    DependencyFailed,
    wait_for,
    wait_running_or_healthy,
)
from tests.trio.test_supervisor import RECORD


class JustStopped:
    """A container whose process ended and whose conmon has not yet written the
    exit code: the runtime says it stopped; the code comes once conmon exits."""

    def __init__(self, code: int) -> None:
        self.code = code
        self.waited = False

    async def status(self, record: ContainerRecord) -> ContainerStatus:
        return ContainerStatus(record, EXITED, None if not self.waited else self.code)

    async def wait(self, record: ContainerRecord) -> int | None:
        await trio.sleep(0.01)  # conmon writes the exit file, then exits
        self.waited = True
        return self.code


async def test_an_exited_dependency_is_reported_with_its_exit_code(tmp_path: Path) -> None:
    layout = Layout(tmp_path, tmp_path / "run")
    with pytest.raises(DependencyFailed, match=r"container p-web-1 exited \(1\)$"):
        await wait_for(layout, JustStopped(1), RECORD,  # type: ignore[arg-type]
                       HEALTHY_CONDITION, lambda r: {})


async def test_up_wait_counts_a_one_shot_that_exited_0_as_done(tmp_path: Path) -> None:
    layout = Layout(tmp_path, tmp_path / "run")
    await wait_running_or_healthy(layout, JustStopped(0), RECORD,  # type: ignore[arg-type]
                                  lambda r: {})
    with pytest.raises(DependencyFailed, match=r"container p-web-1 exited \(3\)$"):
        await wait_running_or_healthy(layout, JustStopped(3), RECORD,  # type: ignore[arg-type]
                                      lambda r: {})
