"""The project's container events, as ``docker compose events`` reports them:
create, start, stop, die (with its exit code), restart, kill, destroy, oom,
``health_status: healthy``...

Whoever causes or sees an event appends one JSON line to the project's
``events.jsonl``: the CLI's executor (create, start, stop, destroy) and the
supervisor (die, restart, health).  One ``write`` of a short line in append mode
lands whole, so writers never interleave; a reader skips a torn last line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.paths import Layout
from common.records import ContainerRecord

EVENTS = "events.jsonl"
MAX_BYTES = 1 << 20
"""Past this, the file starts again (the previous one is kept as ``.1``)."""


def events_path(layout: Layout, project: str) -> Path:
    return layout.projects / project / EVENTS


def event(record: ContainerRecord, action: str, now: float,
          attributes: Mapping[str, object] | None = None) -> dict[str, Any]:
    """One event in docker compose's JSON shape."""
    return {
        "action": action,
        "attributes": {"image": record.image, "name": record.name,
                       **{k: str(v) for k, v in (attributes or {}).items()}},
        "id": record.id,
        "service": record.service,
        "time": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
        "type": "container",
    }


def text_line(entry: Mapping[str, Any]) -> str:
    """docker compose's text form: time, type, action, id, (attributes)."""
    moment = datetime.fromisoformat(entry["time"])
    attributes = ", ".join(f"{k}={v}" for k, v in sorted(entry["attributes"].items()))
    return (f"{moment.strftime('%Y-%m-%d %H:%M:%S.%f')} {entry['type']} {entry['action']} "
            f"{entry['id']} ({attributes})")


def append(layout: Layout, record: ContainerRecord, action: str, now: float,
           **attributes: object) -> None:
    path = events_path(layout, record.project)
    line = (json.dumps(event(record, action, now, attributes)) + "\n").encode()
    try:
        if path.stat().st_size > MAX_BYTES:
            os.replace(path, path.with_suffix(".jsonl.1"))
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def parse(data: bytes) -> tuple[list[dict[str, Any]], int]:
    """The whole lines of ``data`` as events (malformed ones skipped), and how many
    bytes they took (a torn last line is left for the next read)."""
    end = data.rfind(b"\n") + 1
    entries = []
    for raw in data[:end].splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if isinstance(entry, dict) and {"action", "id", "time"} <= entry.keys():
            entries.append(entry)
    return entries, end
