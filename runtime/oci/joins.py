"""Namespaces a container shares with another one (``pid``/``ipc`` as
``service:x`` or ``container:x``): which container that is, and the spec pointed
at its namespaces as it runs now (pure; the driver reads and writes the files).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from common.records import ContainerRecord

_NS_FILES = {"pid": "pid", "ipc": "ipc"}


class JoinError(ValueError):
    pass


def find_target(record: ContainerRecord, reference: str,
                candidates: Iterable[ContainerRecord]) -> ContainerRecord | None:
    """``service:x``: the first container of service x of the same project (not a
    one-off); ``container:x``: the container named x (or whose id starts so)."""
    kind, _, name = reference.partition(":")
    if kind == "service":
        same = [r for r in candidates if r.project == record.project and r.service == name
                and r.id != record.id
                and r.labels.get("com.docker.compose.oneoff") != "True"]
        return min(same, key=lambda r: r.number, default=None)
    return next((r for r in candidates if r.name == name or r.id.startswith(name)), None)


def join(config: Mapping[str, Any], kind: str, pid: int,
         shm: str | None = None) -> dict[str, Any]:
    """``config`` with its ``kind`` namespace the one of process ``pid``; for IPC,
    /dev/shm bound from ``shm`` (the donor's shareable /dev/shm)."""
    if kind not in _NS_FILES:
        raise JoinError(f"cannot join a {kind} namespace")
    result = dict(config)
    linux = dict(result["linux"])
    linux["namespaces"] = [
        {**entry, "path": f"/proc/{pid}/ns/{_NS_FILES[kind]}"} if entry["type"] == kind
        else entry for entry in linux["namespaces"]]
    result["linux"] = linux
    if kind == "ipc":
        if shm is None:
            raise JoinError("non-shareable IPC (hint: use ipc: shareable for the donor "
                            "container)")
        result["mounts"] = [{**m, "source": shm} if m["destination"] == "/dev/shm" else m
                            for m in result["mounts"]]
    return result
