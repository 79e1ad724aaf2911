"""Container records decoded once per version of their file (``state._decoded``):
a settled record is not decoded again, a rewritten one is read anew, and one
written a moment ago is never kept (its file may be written again within the same
tick of the kernel's clock, same size, same times)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from common import state
from common.paths import Layout
from common.records import ContainerRecord
from common.statefiles import write_json


def record(cid: str, hostname: str = "h1") -> ContainerRecord:
    return ContainerRecord(id=cid, name=f"p-{cid}", project="p", service="s", number=1,
                           image="i", image_id="sha256:0", config_hash="", created=0.0,
                           command=(), hostname=hostname, runtime="runc")


def born(tmp_path: Path, cid: str = "abc") -> tuple[Layout, Path]:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    state.give_birth(layout, cid, "container.json", record(cid).to_json())
    return layout, layout.containers / cid / "container.json"


def settle(path: Path) -> None:
    past = time.time() - 5
    os.utime(path, (past, past))  # its change time is the utime's: wait that out
    time.sleep(state._SETTLED_NS / 1e9 + 0.01)


def test_a_settled_record_is_decoded_once(tmp_path: Path) -> None:
    layout, path = born(tmp_path)
    settle(path)
    first = state.container_record(layout, "abc")
    assert first is not None and state.container_record(layout, "abc") is first


def test_a_rewritten_record_is_read_anew(tmp_path: Path) -> None:
    layout, path = born(tmp_path)
    settle(path)
    assert state.container_record(layout, "abc") == record("abc")
    write_json(path, record("abc", hostname="h2").to_json())
    found = state.container_record(layout, "abc")
    assert found is not None and found.hostname == "h2"


def test_a_record_written_a_moment_ago_is_not_kept(tmp_path: Path) -> None:
    layout, _ = born(tmp_path)
    first = state.container_record(layout, "abc")
    assert first == record("abc") and state.container_record(layout, "abc") is not first


def test_records_listed_are_the_decoded_ones(tmp_path: Path) -> None:
    layout, path = born(tmp_path)
    settle(path)
    (listed,) = state.container_records(layout)
    assert state.container_record(layout, "abc") is listed


def test_bundle_options_are_read_once_per_version_of_their_file(tmp_path: Path) -> None:
    """``bundle.json`` is read at each step of a start and at each look at a status."""
    from runtime.oci import bundle

    assert bundle.read_options(tmp_path) == {}  # no bundle yet
    write_json(tmp_path / bundle.BUNDLE, {"terminal": False, "runtime": "/usr/sbin/runc"})
    first = bundle.read_options(tmp_path)
    assert first == {"terminal": False, "runtime": "/usr/sbin/runc"}
    assert bundle.read_options(tmp_path) is first
    write_json(tmp_path / bundle.BUNDLE, {"terminal": True, "runtime": "/usr/sbin/runc"})
    assert bundle.read_options(tmp_path)["terminal"] is True
