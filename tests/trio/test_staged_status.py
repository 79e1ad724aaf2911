"""A container whose restart is being staged shows its last run, whatever moment of
the staging its status is asked at: runc create under way (its directory and
exec.fifo made, its state file not yet), or the staged run created."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import trio

from common.paths import Layout
from common.records import ContainerRecord
from runtime.images.store import ImageStore
from runtime.oci import staging
from runtime.oci.containers import ContainerDriver
from runtime.oci.runtime import OciRuntime, Runtime

ID = "cd" * 32


def _record() -> ContainerRecord:
    return ContainerRecord(id=ID, name="p-crash-1", project="p", service="crash", number=1,
                           image="busybox", image_id="sha256:x", config_hash="h",
                           created=0.0, command=("sh",), hostname="crash",
                           runtime="/usr/sbin/runc")


async def test_a_restart_being_created_shows_the_last_exit(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    directory = layout.container_dir(ID)
    directory.mkdir(parents=True)
    (directory / "bundle.json").write_text(json.dumps({"runtime": "/usr/sbin/runc"}))
    exits = layout.exits
    exits.mkdir(parents=True)
    (exits / ID).write_text("3")
    staging.remember(directory, exits / ID, 3)
    (exits / ID).unlink()  # conmon's create erases it
    (layout.runc_root / ID).mkdir(parents=True)  # runc create under way: no state.json
    (layout.runc_root / ID / "exec.fifo").touch()
    conmon = await trio.lowlevel.open_process(  # conmon holds the run being made
        [str(tmp_path / "conmon"), "-c", "import time; time.sleep(30)", ID],
        executable=sys.executable)
    (directory / "conmon.pid").write_text(str(conmon.pid))
    try:
        driver = ContainerDriver(layout, ImageStore(layout.images),
                                 OciRuntime(layout, Runtime("runc", "/usr/sbin/runc")))
        status = await driver.status(_record())
        assert (status.state, status.exit_code) == ("exited", 3)
    finally:
        conmon.kill()
        await conmon.wait()
