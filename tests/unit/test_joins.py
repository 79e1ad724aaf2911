"""runtime/oci/joins.py: which container a ``service:x``/``container:x`` names, and
the spec pointed at its namespaces."""

from __future__ import annotations

import pytest

from common.records import ContainerRecord
from runtime.oci.joins import JoinError, find_target, join


def record(cid: str, service: str, number: int = 1, project: str = "p", name: str = "",
           oneoff: bool = False) -> ContainerRecord:
    return ContainerRecord(
        id=cid, name=name or f"{project}-{service}-{number}", project=project, service=service,
        number=number, image="busybox", image_id="sha256:x", config_hash="h", created=0.0,
        command=(), hostname=cid[:12], runtime="/usr/sbin/runc",
        labels={"com.docker.compose.oneoff": "True" if oneoff else "False"})


ME = record("me" * 32, "app")
OTHERS = [record("a" * 64, "db", 2), record("b" * 64, "db", 1),
          record("c" * 64, "db", 1, oneoff=True, name="p-db-run-x"),
          record("d" * 64, "db", 1, project="other", name="elsewhere")]


def test_find_target() -> None:
    assert find_target(ME, "service:db", OTHERS) is OTHERS[1]  # lowest number, not one-off
    assert find_target(ME, "service:nope", OTHERS) is None
    assert find_target(ME, "container:elsewhere", OTHERS) is OTHERS[3]  # any project
    assert find_target(ME, "container:aaaa", OTHERS) is OTHERS[0]  # an id prefix


CONFIG = {"linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}]},
          "mounts": [{"destination": "/dev/shm", "type": "bind", "source": "/placeholder"}]}


def test_join() -> None:
    joined = join(CONFIG, "pid", 42)
    assert joined["linux"]["namespaces"] == [{"type": "pid", "path": "/proc/42/ns/pid"},
                                             {"type": "ipc"}]
    assert CONFIG["linux"]["namespaces"][0] == {"type": "pid"}  # not changed in place
    shared = join(joined, "ipc", 7, "/donor/shm")
    assert shared["linux"]["namespaces"][1] == {"type": "ipc", "path": "/proc/7/ns/ipc"}
    assert shared["mounts"][0]["source"] == "/donor/shm"
    with pytest.raises(JoinError, match="non-shareable IPC"):
        join(CONFIG, "ipc", 7)
