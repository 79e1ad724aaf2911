"""A removal whose links go with the container's namespace (``run --rm``): the
kernel deletes them once the namespace's last user lets it go, not the removal
(which waited 15 ms for RCU grace periods); a namespace another container joins
keeps its links deleted by the removal itself.  Against the kernel, in a network
namespace of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BODY = """
import os, shutil, time
from pathlib import Path
import trio
from common import runtimedir, state
from common.paths import Layout
from common.records import Attachment, ContainerRecord, NetworkRecord, NetworkSettings
from network import procnet
from network.driver import NetworkDriver

layout = Layout.from_environ({"PYCOMPOSE_ROOT": ROOT})
network = NetworkRecord(key="default", name="t_default", project="t", bridge="pctest0",
                        subnet="10.77.0.0/24", gateway="10.77.0.1")
web = ContainerRecord(
    id="a" * 64, name="t-web-1", project="t", service="web", number=1, image="busybox",
    image_id="sha256:b", config_hash="h", created=0.0, command=("true",), hostname="web",
    runtime="/usr/sbin/runc",
    attachments=(Attachment(network="default", bridge="pctest0", address="10.77.0.2/24",
                            gateway="10.77.0.1", veth="pvtest0", peer="eth0"),))
sidecar = ContainerRecord(
    id="b" * 64, name="t-side-1", project="t", service="side", number=1, image="busybox",
    image_id="sha256:b", config_hash="h", created=0.0, command=("true",), hostname="side",
    runtime="/usr/sbin/runc", network=NetworkSettings(mode="container:" + "a" * 64))

def present():
    return "pvtest0" in set(procnet.read_link_names())

async def main():
    driver = NetworkDriver(layout)
    await driver.create_network(network)
    await driver.connect(web)
    assert present()
    if JOINED:
        state.give_birth(layout, sidecar.id, "container.json", sidecar.to_json())
    held = os.open(driver.netns_path(web), os.O_RDONLY)  # a user of the namespace
    await driver.disconnect(web, links_with_namespace=True)
    print("after removal:", present())
    os.close(held)
    deadline = time.monotonic() + 10
    while present() and time.monotonic() < deadline:
        time.sleep(0.01)
    print("once let go:", present())
    await driver.disconnect(web, ["pctest0"])
    await driver.remove_network(network)
    shutil.rmtree(layout.containers, ignore_errors=True)  # the joining record, if any
    runtimedir.tidy(layout)  # as down does: nothing of the root left under /run
    print("runtime directory left:", layout.run.exists())

trio.run(main)
"""


def removal(netns: str, root: Path, *, joined: bool) -> list[str]:
    code = f"ROOT = {str(root)!r}\nJOINED = {joined}\n" + textwrap.dedent(BODY)
    result = subprocess.run(["ip", "netns", "exec", netns, sys.executable, "-c", code],
                            cwd=REPO, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_the_links_go_once_the_namespace_is_let_go(netns: str, tmp_path: Path) -> None:
    """The removal leaves the veth to the kernel: it is there while something
    still holds the namespace, and gone once that lets go."""
    assert removal(netns, tmp_path / "root", joined=False) == [
        "after removal: True", "once let go: False", "runtime directory left: False"]


def test_a_joined_namespace_has_its_links_deleted_by_the_removal(netns: str,
                                                                  tmp_path: Path) -> None:
    """Another container keeps a namespace it joined: its links would live on
    with it, so the removal deletes them."""
    assert removal(netns, tmp_path / "root", joined=True) == [
        "after removal: False", "once let go: False", "runtime directory left: False"]
