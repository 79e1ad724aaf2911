"""Which namespaces a container gets, shares with the host, or joins (pure).

``ipc``: ``private`` (default), ``shareable`` (its /dev/shm lives on the host so
others can join it), ``none`` (no /dev/shm), ``host``, ``service:x`` /
``container:x`` (join a shareable one).  ``pid``: ``host`` or ``service:x`` /
``container:x``.  ``uts: host``, ``cgroup: host|private``.  The network namespace
is always the one the network driver bound for the container (its own, the
host's for ``network_mode: host``, or another container's).
A joined namespace is named by the other container; its path is only known once
that container runs, so the driver fills it in at start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class NamespaceError(ValueError):
    pass


# /dev/shm kinds
SHM_PRIVATE, SHM_SHAREABLE, SHM_HOST, SHM_NONE, SHM_JOINED = (
    "private", "shareable", "host", "none", "joined")


@dataclass(frozen=True)
class Namespaces:
    entries: tuple[tuple[str, str | None], ...]
    """(type, path) in the order the spec lists them; path None = a new namespace."""
    joins: Mapping[str, str] = field(default_factory=dict)
    """Namespace type -> ``service:x`` or ``container:x`` to join at start."""
    shm: str = SHM_PRIVATE
    warnings: tuple[str, ...] = ()

    host_network: bool = False

    def private(self, kind: str) -> bool:
        if kind == "network":
            return not self.host_network
        return any(t == kind and kind not in self.joins for t, _ in self.entries)


def _target(key: str, mode: str) -> str | None:
    """``service:x``/``container:x`` kept as is; other modes None."""
    kind, _, name = mode.partition(":")
    if kind in ("service", "container"):
        if not name:
            raise NamespaceError(f"{key}: {mode!r} names no {kind}")
        return mode
    return None


def namespaces(service: Mapping[str, Any], *, netns: str | None, cgroup2: bool) -> Namespaces:
    """``netns``: the network namespace the network driver made for the container
    (None: a new, empty one)."""
    entries: list[tuple[str, str | None]] = []
    joins: dict[str, str] = {}
    warnings: list[str] = []

    pid = str(service.get("pid") or "")
    if pid != "host":
        target = _target("pid", pid)
        if pid and target is None:
            raise NamespaceError(f"pid: invalid mode {pid!r} (host, service:NAME or "
                                 "container:NAME)")
        if target:
            joins["pid"] = target
        entries.append(("pid", None))

    ipc = str(service.get("ipc") or "private")
    shm = SHM_PRIVATE
    if ipc == "host":
        shm = SHM_HOST
    else:
        target = _target("ipc", ipc)
        if target:
            joins["ipc"] = target
            shm = SHM_JOINED
        elif ipc == "shareable":
            shm = SHM_SHAREABLE
        elif ipc == "none":
            shm = SHM_NONE
        elif ipc != "private":
            raise NamespaceError(f"ipc: invalid mode {ipc!r} (private, shareable, none, host, "
                                 "service:NAME or container:NAME)")
        entries.append(("ipc", None))

    uts = str(service.get("uts") or "")
    if uts == "host":
        if service.get("hostname") or service.get("domainname"):
            raise NamespaceError("conflicting options: hostname and uts: host")
    elif uts:
        raise NamespaceError(f"uts: invalid mode {uts!r} (only host)")
    else:
        entries.append(("uts", None))

    entries.append(("mount", None))

    # The network driver binds the right namespace at ``netns`` for every network_mode
    # (its own, the host's, or another container's).
    entries.append(("network", netns))

    cgroup = str(service.get("cgroup") or ("private" if cgroup2 else "host"))
    if cgroup == "private":
        entries.append(("cgroup", None))
    elif cgroup != "host":
        raise NamespaceError(f"cgroup: invalid mode {cgroup!r} (host or private)")

    userns = str(service.get("userns_mode") or "")
    if userns and userns != "host":
        warnings.append(f"userns_mode {userns!r} is not supported; the container shares the "
                        "host's user namespace")
    return Namespaces(tuple(entries), joins, shm, tuple(warnings),
                      host_network=service.get("network_mode") == "host")
