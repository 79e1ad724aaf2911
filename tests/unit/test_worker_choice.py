"""``up`` forks its netlink worker once its file is read, and only for a project of
several services: one service's few links are made faster in the command itself
than through a worker forked for them (2.8 ms of every ``up``).  A command that
has no netlink library loaded (not served) forks one at its start to import it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from common.errors import UsageError
from compose.cli.main import MANY_SERVICES
from compose.cli.main import main as cli_main
from compose.wiring import LocalHost


class Recorded(LocalHost):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[bool] = []

    def prepare_networks(self, *, many: bool) -> None:
        self.asked.append(many)

    def start_standby_supervisor(self, environ: object) -> None:
        pass

    def project_known(self, environ: object, project: object) -> None:
        pass

    async def connect(self, output: object, environ: object) -> object:
        raise UsageError("stopped before any backend")


@pytest.mark.parametrize(("services", "asked"), [
    (1, [False]), (MANY_SERVICES - 1, [False]), (MANY_SERVICES, [False, True])])
def test_the_worker_is_asked_for_by_the_number_of_services(
        tmp_path: Path, services: int, asked: list[bool]) -> None:
    lines = ["services:"] + [f"  s{n}:\n    image: busybox" for n in range(services)]
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n")
    host = Recorded()
    err = io.StringIO()
    code = cli_main(["up", "-d"], host=host, environ={"PYCOMPOSE_ROOT": str(tmp_path / "root")},
                    cwd=str(tmp_path), stdout=io.StringIO(), stderr=err)
    assert code == 1 and "stopped before any backend" in err.getvalue()
    assert host.asked == asked
