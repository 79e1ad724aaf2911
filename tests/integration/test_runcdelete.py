"""runtime/oci/runcdelete.py deletes a stopped runc container as ``runc delete``
would, without a runc process, and leaves any other to the runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio

from common.state import container_records
from runtime.oci.runtime import OciRuntime, Runtime
from tests.integration.conftest import Stack
from tests.integration.test_runcstate import sleeping_app

NO_RUNC = Runtime("runc", "/nonexistent/runc")
"""Any fallback to the runtime fails with FileNotFoundError."""


async def test_a_stopped_container_is_deleted_without_runc(busybox_stack: Stack,
                                                           tmp_path: Path) -> None:
    stack = busybox_stack
    directory = sleeping_app(stack, tmp_path)
    try:
        (record,) = container_records(stack.layout, "p")
        state = json.loads((stack.layout.runc_root / record.id / "state.json").read_text())
        cgroups = [Path(p) for p in state["cgroup_paths"].values()]
        assert cgroups and all(p.is_dir() for p in cgroups)
        oci = OciRuntime(stack.layout, NO_RUNC)
        with pytest.raises(FileNotFoundError):  # running: runc's to delete (and kill)
            await oci.delete(record.id)
        stack.run("kill", cwd=directory)
        await oci.delete(record.id)
        result = await trio.run_process(["runc", "--root", str(stack.layout.runc_root), "state",
                                         record.id], capture_stderr=True, check=False)
        assert result.returncode != 0 and b"does not exist" in result.stderr
        assert [p for p in cgroups if p.exists()] == []
        assert not (stack.layout.runc_root / record.id).exists()
    finally:
        stack.run("down", "-t", "0", cwd=directory)
    assert container_records(stack.layout, "p") == []
