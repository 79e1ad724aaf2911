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


async def test_stop_and_remove_wait_for_a_create_under_way(tmp_path: Path) -> None:
    """A stop or removal that finds runc create under way (a restart being staged)
    waits for the state it writes, or for its conmon to go (the create failed),
    before signalling anyone: not for conmon, which holds a created container."""
    layout = Layout(tmp_path / "root", tmp_path / "run")
    layout.container_dir(ID).mkdir(parents=True)
    runc_dir = layout.runc_root / ID
    runc_dir.mkdir(parents=True)
    driver = ContainerDriver(layout, ImageStore(layout.images),
                             OciRuntime(layout, Runtime("runc", "/usr/sbin/runc")))
    conmon = await trio.lowlevel.open_process(
        [str(tmp_path / "conmon"), "-c", "import time; time.sleep(30)", ID],
        executable=sys.executable)
    try:
        async def create_done() -> None:
            await trio.sleep(0.2)
            (runc_dir / "exec.fifo").touch()
            stat = (Path(f"/proc/{conmon.pid}/stat").read_text().rpartition(")")[2].split())
            (runc_dir / "state.json").write_text(json.dumps(
                {"init_process_pid": conmon.pid, "init_process_start": int(stat[19]),
                 "cgroup_paths": {}}))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(create_done)
            started = trio.current_time()
            state = await driver.starting.settled_create(_record(), conmon.pid)
        assert state is not None and state["status"] == "created"
        assert 0.15 < trio.current_time() - started < 5
    finally:
        conmon.kill()
        await conmon.wait()
    (runc_dir / "state.json").unlink()
    ended = await trio.lowlevel.open_process([sys.executable, "-c", "pass"])
    await ended.wait()  # a conmon gone: the create failed, nothing to wait for
    with trio.fail_after(2):
        assert await driver.starting.settled_create(_record(), ended.pid) is None
