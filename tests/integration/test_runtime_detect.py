"""Choosing the OCI runtime: crun where it really runs containers, else runc."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from common.errors import RuntimeFailure
from common.paths import Layout
from runtime.oci.runtime import _probe, detect_runtime


def hybrid_cgroups() -> bool:
    """cgroup v1 controllers with a cgroup2 hierarchy at /sys/fs/cgroup/unified."""
    with open("/proc/mounts") as mounts:
        entries = {line.split()[1]: line.split()[2] for line in mounts}
    return entries.get("/sys/fs/cgroup") != "cgroup2" and \
        entries.get("/sys/fs/cgroup/unified") == "cgroup2"


async def test_detection_falls_back_to_runc_when_crun_cannot_run(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run", tmp_path / "runtime")
    chosen = await detect_runtime(layout, {})
    crun = shutil.which("crun")
    crun_works = bool(crun) and await _probe(layout, crun)  # type: ignore[arg-type]
    assert chosen.name == ("crun" if crun_works else "runc")
    assert await _probe(layout, chosen.path), "the chosen runtime must run a container"
    if crun and hybrid_cgroups():
        assert not crun_works  # what host-notes.md says of this kind of host
    # the answer is cached for the boot
    assert layout.runtime_choice.read_text().splitlines() == [chosen.name, chosen.path]
    assert await detect_runtime(layout, {}) == chosen


async def test_pycompose_runtime_overrides(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    chosen = await detect_runtime(layout, {"PYCOMPOSE_RUNTIME": "runc"})
    assert chosen.name == "runc"
    with pytest.raises(RuntimeFailure, match="not found"):
        await detect_runtime(layout, {"PYCOMPOSE_RUNTIME": "no-such-runtime"})
