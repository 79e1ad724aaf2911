"""State files not written when they would say what is there already: a new
container's first start writes no restart file (its absence reads as the fresh
state), the namespace's ``resolv.conf`` is not written again when the bundle
wrote it as it must be, and a project's file is not written anew just before its
last ``down`` removes it.  Each such write was two fsyncs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from common import state
from common.paths import Layout
from common.records import Attachment, ContainerRecord, NetworkRecord, NetworkSettings
from compose.engine import runstate
from compose.planning.lifecycle import RestartState
from network import driver
from network.hosts import container_resolv_conf

HOST = "nameserver 10.0.0.53\nsearch example.org\n"


def test_a_first_start_writes_no_restart_file(tmp_path: Path) -> None:
    runstate.mark_started_by_user(tmp_path)
    assert not (tmp_path / runstate.RESTART).exists()
    assert runstate.read_restart(tmp_path) == RestartState()


def test_a_start_after_a_stop_resets_the_restart_file(tmp_path: Path) -> None:
    runstate.write_restart(tmp_path, RestartState(3, 4.0, manually_stopped=True), due=99.0)
    runstate.mark_started_by_user(tmp_path)
    assert runstate.read_restart(tmp_path) == RestartState()
    assert runstate.restart_due(tmp_path) is None


def record(attached: bool) -> ContainerRecord:
    attachments = (Attachment("default", "pc1", "10.89.0.2/24", "10.89.0.1", "vh1", "vp1"),)
    return ContainerRecord(id="c1", name="p-s-1", project="p", service="s", number=1,
                           image="i", image_id="sha256:0", config_hash="", created=0.0,
                           command=(), hostname="c1", runtime="runc",
                           attachments=attachments if attached else (),
                           network=NetworkSettings())


def test_the_namespace_keeps_the_bundle_s_resolv_conf(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    host = tmp_path / "host-resolv.conf"
    host.write_text(HOST)
    monkeypatch.setattr(driver, "HOST_RESOLV_CONF", host)
    layout = Layout(tmp_path / "root", tmp_path / "run")
    net = driver.NetworkDriver(layout)
    for attached in (True, False):
        target = layout.container_dir("c1") / "resolv.conf"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(container_resolv_conf(NetworkSettings(), attached, HOST))
        inode = os.stat(target).st_ino
        net._write_resolv_conf(record(attached))
        assert os.stat(target).st_ino == inode  # as the bundle wrote it: left alone
    target.write_text("nameserver 192.0.2.1\n")  # the host's file changed since
    net._write_resolv_conf(record(True))
    assert target.read_text() == container_resolv_conf(NetworkSettings(), True, HOST)


def test_the_supervisor_s_file_written_with_the_bundle_is_the_one_it_reads(
        tmp_path: Path) -> None:
    """``supervision.json`` goes to the runtime to be written with the bundle (its
    own write was a file and a directory fsync more), byte for byte as before."""
    service = {"restart": "always", "healthcheck": {"test": ["CMD", "true"]}}
    ((name, data),) = runstate.supervision_file(service).items()
    (tmp_path / name).write_bytes(data)
    assert runstate.read_supervision(tmp_path) == service
    runstate.write_supervision(tmp_path / "old", service)
    assert (tmp_path / "old" / name).read_bytes() == data


def network(key: str) -> NetworkRecord:
    return NetworkRecord(key=key, name=f"p_{key}", project="p", bridge=f"pc{key}",
                         subnet="10.89.0.0/24", gateway="10.89.0.1")


def test_a_project_s_last_network_takes_its_directory_along(tmp_path: Path) -> None:
    """Its file is not written anew just before it goes."""
    layout = Layout(tmp_path / "root", tmp_path / "run")
    for key in ("front", "back"):
        state.save_network(layout, network(key))
    state.forget_network(layout, network("front"))
    assert list(state.project_networks(layout, "p")) == ["back"]
    state.forget_network(layout, network("back"))
    assert not layout.project_file("p").parent.exists()


def test_a_project_with_a_container_left_keeps_its_directory(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    state.save_network(layout, network("front"))
    state.give_birth(layout, "c1", "container.json", record(True).to_json())
    state.forget_network(layout, network("front"))
    assert state.project_networks(layout, "p") == {}
    assert layout.project_file("p").exists()
