"""Kernel interface names: at most 15 characters, unique per state root and project."""

from __future__ import annotations

import hashlib

IFNAMSIZ = 15


def valid_ifname(name: str) -> bool:
    """What the kernel accepts as an interface name (``dev_valid_name``)."""
    return (0 < len(name) <= IFNAMSIZ and name not in (".", "..")
            and not any(c in name for c in "/: \t\n"))


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def bridge_name(root_tag: str, network: str) -> str:
    """``pc`` + 10 hex digits of (state root, network name): ``pc1a2b3c4d5e``."""
    return "pc" + _digest(root_tag, network)[:10]


def veth_name(container_id: str, network: str) -> str:
    """Host end of a container's veth pair on ``network``."""
    return "pv" + _digest(container_id, network)[:10]


def veth_peer_name(container_id: str, network: str) -> str:
    """Temporary name of the container end, renamed once inside the namespace."""
    return "pt" + _digest(container_id, network)[:10]
