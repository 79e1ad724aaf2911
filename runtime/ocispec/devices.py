"""Device nodes and the device cgroup of a container, and block I/O limits (pure).

The container driver stats the host paths (``host.device_nodes``); this module
only decides what the spec says about them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runtime.ocispec.host import DeviceNode
from runtime.ocispec.resources import as_int

# Docker's device cgroup: deny everything, allow the usual character devices, and
# say explicitly that /dev/fuse is not allowed.  runc appends its own defaults
# (mknod of any device, ptmx, pts, tun).
DEFAULT_DEVICE_RULES: tuple[dict[str, Any], ...] = (
    {"allow": False, "access": "rwm"},
    {"allow": True, "type": "c", "major": 1, "minor": 5, "access": "rwm"},  # zero
    {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwm"},  # null
    {"allow": True, "type": "c", "major": 1, "minor": 9, "access": "rwm"},  # urandom
    {"allow": True, "type": "c", "major": 1, "minor": 8, "access": "rwm"},  # random
    {"allow": True, "type": "c", "major": 5, "minor": 0, "access": "rwm"},  # tty
    {"allow": True, "type": "c", "major": 5, "minor": 1, "access": "rwm"},  # console
    {"allow": False, "type": "c", "major": 10, "minor": 229, "access": "rwm"},  # fuse
)

_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")


class DeviceError(ValueError):
    pass


@dataclass(frozen=True)
class Devices:
    nodes: tuple[dict[str, Any], ...]
    """OCI ``linux.devices``: nodes created in the container's /dev."""
    rules: tuple[dict[str, Any], ...]
    """OCI ``linux.resources.devices``: the device cgroup."""


def cgroup_rule(text: str) -> dict[str, Any]:
    """``device_cgroup_rules: ["c 1:3 mr"]`` as an allow rule."""
    match = _RULE.match(text.strip())
    if not match:
        raise DeviceError(f"device_cgroup_rules: invalid device cgroup rule {text!r} "
                          "(expected like \"c 1:3 rwm\")")
    kind, major, minor, access = match.groups()
    rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
    if major != "*":
        rule["major"] = int(major)
    if minor != "*":
        rule["minor"] = int(minor)
    return rule


def _node(node: DeviceNode, path: str) -> dict[str, Any]:
    return {"path": path, "type": node.kind, "major": node.major, "minor": node.minor,
            "fileMode": node.mode, "uid": node.uid, "gid": node.gid}


def devices(entries: Sequence[Mapping[str, Any]], found: Mapping[str, Sequence[DeviceNode]],
            rules: Sequence[str], *, privileged: bool,
            host_devices: Sequence[DeviceNode] = ()) -> Devices:
    """``devices`` entries (``found`` holds the host nodes of each source path)
    and ``device_cgroup_rules``; a privileged container gets every host device."""
    if privileged:
        return Devices(tuple(_node(n, n.path) for n in host_devices),
                       ({"allow": True, "access": "rwm"},))
    nodes: list[dict[str, Any]] = []
    allowed: list[dict[str, Any]] = [dict(r) for r in DEFAULT_DEVICE_RULES]
    for entry in entries:
        source = str(entry.get("source") or "")
        target = str(entry.get("target") or source)
        access = str(entry.get("permissions") or "rwm")
        if not access or set(access) - set("rwm"):
            raise DeviceError(f"devices: invalid device mode {access!r} for {source}")
        for node in found.get(source, ()):
            path = target + node.path[len(source):] if node.path != source else target
            nodes.append(_node(node, path))
            allowed.append({"allow": True, "type": node.kind, "major": node.major,
                            "minor": node.minor, "access": access})
    allowed.extend(cgroup_rule(r) for r in rules)
    return Devices(tuple(nodes), tuple(allowed))


def block_io(config: Mapping[str, Any], found: Mapping[str, Sequence[DeviceNode]]
             ) -> dict[str, Any]:
    """``blkio_config`` as OCI ``linux.resources.blockIO``."""
    result: dict[str, Any] = {}
    if config.get("weight"):
        result["weight"] = as_int(config["weight"], "blkio_config.weight")
    fields = {"weight_device": ("weightDevice", "weight"),
              "device_read_bps": ("throttleReadBpsDevice", "rate"),
              "device_write_bps": ("throttleWriteBpsDevice", "rate"),
              "device_read_iops": ("throttleReadIOPSDevice", "rate"),
              "device_write_iops": ("throttleWriteIOPSDevice", "rate")}
    for key, (oci, value_key) in fields.items():
        entries = []
        for entry in config.get(key) or ():
            path = str(entry.get("path"))
            for node in found.get(path, ())[:1]:
                entries.append({"major": node.major, "minor": node.minor,
                                value_key: as_int(entry.get(value_key), f"blkio_config.{key}")})
        if entries:
            result[oci] = entries
    return result


def block_paths(config: Mapping[str, Any]) -> list[str]:
    """Host paths ``blkio_config`` names (the driver stats them)."""
    return [str(e.get("path")) for key in ("weight_device", "device_read_bps",
                                           "device_write_bps", "device_read_iops",
                                           "device_write_iops")
            for e in config.get(key) or ()]
