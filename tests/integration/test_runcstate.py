"""runtime/oci/runcstate.py reads the state ``runc state`` prints, through a
container's life: running, paused, running again, stopped."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from common.state import container_records
from runtime.oci.runcstate import read_state
from tests.integration.conftest import Stack
from tests.integration.test_containers import project


def runc_state(stack: Stack, container_id: str) -> dict[str, object]:
    result = subprocess.run(["runc", "--root", str(stack.layout.runc_root), "state",
                             container_id], capture_output=True, text=True, check=True)
    value = json.loads(result.stdout)
    return {"id": value["id"], "pid": value["pid"], "status": value["status"]}


def test_read_state_agrees_with_runc_state(busybox_stack: Stack, tmp_path: Path) -> None:
    directory = project(tmp_path, """
        app:
          image: busybox
          command: ["sleep", "3600"]
          restart: "no"
    """)
    stack = busybox_stack
    stack.run("up", "-d", cwd=directory)
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
