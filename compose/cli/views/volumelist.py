"""``volume`` verbs' output and choices, docker's formats (pure)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from common.records import ContainerRecord, VolumeRecord


def table(volumes: Sequence[VolumeRecord]) -> str:
    """``DRIVER    VOLUME NAME``: docker's tabwriter (minimum width 10, padding 3)."""
    rows = [("DRIVER", "VOLUME NAME"), *((v.driver, v.name) for v in volumes)]
    width = max(10, *(len(r[0]) + 3 for r in rows))
    return "\n".join(f"{driver:<{width}}{name}".rstrip() for driver, name in rows)


def rfc3339(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_line(volume: VolumeRecord, mountpoint: str) -> str:
    """One line of ``volume ls --format json``."""
    labels = ",".join(f"{k}={v}" for k, v in sorted(volume.labels.items()))
    return json.dumps({"Availability": "N/A", "Driver": volume.driver, "Group": "N/A",
                       "Labels": labels, "Links": "N/A", "Mountpoint": mountpoint,
                       "Name": volume.name, "Scope": "local", "Size": "N/A",
                       "Status": "N/A"}, separators=(",", ":"))


def inspect(volume: VolumeRecord, mountpoint: str) -> dict[str, Any]:
    return {
        "CreatedAt": rfc3339(volume.created),
        "Driver": volume.driver,
        "Labels": dict(volume.labels) or None,
        "Mountpoint": mountpoint,
        "Name": volume.name,
        "Options": dict(volume.options) or None,
        "Scope": "local",
    }


def users(records: Iterable[ContainerRecord]) -> dict[str, list[str]]:
    """Volume name -> the containers that mount it."""
    found: dict[str, list[str]] = {}
    for record in records:
        for name in dict.fromkeys(record.volumes.values()):
            found.setdefault(name, []).append(record.name)
    return found


def prunable(volumes: Mapping[str, VolumeRecord], used: Mapping[str, list[str]], *,
             all_volumes: bool) -> list[VolumeRecord]:
    """Unused volumes: anonymous ones, or with ``all_volumes`` every one (docker
    23's rule)."""
    return [v for name, v in sorted(volumes.items())
            if name not in used and (all_volumes or v.anonymous)]


def parse_pairs(values: Iterable[str], what: str) -> dict[str, str]:
    """``--label k=v`` / ``-o k=v`` (a label without ``=`` has an empty value)."""
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not key or (what == "option" and not sep):
            raise ValueError(f"invalid {what} {value!r}: expected KEY=VALUE")
        result[key] = rest
    return result
