"""``ps`` rows with docker compose's field names and formats (pure)."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from compose.humanize import docker_time, human_duration
from compose.observed import CREATED, EXITED, RUNNING, ContainerStatus


def status_text(status: ContainerStatus, now: float) -> str:
    if status.state == RUNNING:
        since = status.started_at or status.record.created
        return f"Up {human_duration(now - since)}"
    if status.state == EXITED:
        code = "unknown" if status.exit_code is None else status.exit_code
        ago = f" {human_duration(now - status.finished_at)} ago" if status.finished_at else ""
        return f"Exited ({code}){ago}"
    if status.state == CREATED:
        return "Created"
    return status.state.capitalize()


def command_text(args: Iterable[str]) -> str:
    return '"' + " ".join(shlex.quote(a) if " " in a else a for a in args) + '"'


def ps_row(status: ContainerStatus, now: float) -> dict[str, Any]:
    record = status.record
    networks = sorted({f"{record.project}_{a.network}" for a in record.attachments})
    return {
        "Command": command_text(record.command),
        "CreatedAt": docker_time(record.created),
        "ExitCode": status.exit_code or 0,
        "Health": "",
        "ID": record.id,
        "Image": record.image,
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(record.labels.items())),
        "LocalVolumes": "0",
        "Mounts": "",
        "Name": record.name,
        "Names": record.name,
        "Networks": ",".join(networks),
        "Ports": "",
        "Project": record.project,
        "Publishers": [],
        "RunningFor": f"{human_duration(now - record.created)} ago",
        "Service": record.service,
        "Size": "0B",
        "State": status.state,
        "Status": status_text(status, now),
    }


def ps_table(rows: list[dict[str, Any]]) -> str:
    """The text table ``docker compose ps`` prints, columns padded like tabwriter."""
    headers = ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    body = [[
        r["Name"], r["Image"], _truncate(r["Command"], 20), r["Service"], r["RunningFor"],
        r["Status"], r["Ports"],
    ] for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *body, strict=False)]
    lines = []
    for row in [headers, *body]:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)


def _truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: width - 2] + "…" + '"'
