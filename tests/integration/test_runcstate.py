"""runtime/oci/runcstate.py reads the state ``runc state`` prints, through a
container's life: running, paused, running again, stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import trio

from common.state import container_records
from runtime.oci.runcstate import read_state
from runtime.oci.runtime import OciRuntime, Runtime
from tests.integration.conftest import Stack
from tests.integration.test_containers import project


def runc_state(stack: Stack, container_id: str) -> dict[str, object]:
    result = subprocess.run(["runc", "--root", str(stack.layout.runc_root), "state",
                             container_id], capture_output=True, text=True, check=True)
    value = json.loads(result.stdout)
    return {"id": value["id"], "pid": value["pid"], "status": value["status"]}


def sleeping_app(stack: Stack, tmp_path: Path) -> Path:
    """A project of one container that sleeps and is not restarted, up."""
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "3600"]
          restart: "no"
    """)
    stack.run("up", "-d", cwd=directory)
    return directory


def test_read_state_agrees_with_runc_state(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    directory = sleeping_app(stack, tmp_path)
    try:
        (record,) = container_records(stack.layout, "p")
        root = stack.layout.runc_root
        seen = []
        for verb in ("ps", "pause", "unpause", "kill"):
            if verb != "ps":
                stack.run(verb, cwd=directory)
            ours, runc = read_state(root, record.id), runc_state(stack, record.id)
            assert ours == runc, verb
            seen.append(runc["status"])
        assert seen == ["running", "paused", "running", "stopped"]
    finally:
        stack.run("down", "-t", "0", cwd=directory)
    assert read_state(stack.layout.runc_root, record.id) is None


async def test_a_state_directory_without_its_file_is_no_container_to_runc_either(
        stack: Stack) -> None:
    """``runc create`` makes the directory before the file.  runc says it knows no
    such container then, and so does ``OciRuntime.state``, without running runc (a
    supervisor observing containers being created ran one for each); a state file
    that cannot be read is still runc's to read."""
    root = stack.layout.runc_root
    (root / "halfmade").mkdir(parents=True)
    try:
        result = await trio.run_process(["runc", "--root", str(root), "state", "halfmade"],
                                        capture_stdout=True, capture_stderr=True, check=False)
        assert result.returncode != 0 and b"does not exist" in result.stderr
        oci = OciRuntime(stack.layout, Runtime("runc", "/nonexistent/runc"))  # never run
        assert await oci.state("halfmade") is None
        (root / "halfmade" / "state.json").write_text("{torn")
        with pytest.raises(FileNotFoundError):  # unreadable: runc is asked
            await oci.state("halfmade")
    finally:
        shutil.rmtree(root / "halfmade")
