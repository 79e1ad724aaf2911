"""``ps`` rows with docker compose's field names and formats (pure)."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from typing import Any

from common.records import ContainerRecord
from common.status import CREATED, EXITED, RUNNING, ContainerStatus
from compose.cli.views.humanize import docker_time, human_duration
from compose.cli.views.texttable import text_table


def status_text(status: ContainerStatus, now: float, health: str = "") -> str:
    """docker's STATUS: ``Up 5 seconds (healthy)``, ``Exited (1) 2 minutes ago``..."""
    if status.state == RUNNING:
        since = status.started_at or status.record.created
        shown = f" (health: {health})" if health == "starting" else \
            f" ({health})" if health else ""
        return f"Up {human_duration(now - since)}{shown}"
    if status.state == EXITED:
        code = "unknown" if status.exit_code is None else status.exit_code
        ago = f" {human_duration(now - status.finished_at)} ago" if status.finished_at else ""
        return f"Exited ({code}){ago}"
    if status.state == CREATED:
        return "Created"
    return status.state.capitalize()


def command_text(args: Iterable[str]) -> str:
    return '"' + " ".join(shlex.quote(a) if " " in a else a for a in args) + '"'


def publishers(record: ContainerRecord) -> list[dict[str, Any]]:
    """docker compose's ``Publishers``: one per published port and address family
    (``0.0.0.0`` and, when the container has IPv6, ``::``), then the exposed ports
    that are not published, sorted as the Docker CLI sorts ports."""
    has_v6 = any(a.address6 for a in record.attachments)
    result = []
    published = set()
    for binding in record.network.ports:
        if not binding.published:
            continue
        published.add((binding.target, binding.protocol))
        hosts = [binding.host_ip] if binding.host_ip else ["0.0.0.0", *(["::"] if has_v6 else [])]
        result += [{"URL": host, "TargetPort": binding.target,
                    "PublishedPort": binding.published, "Protocol": binding.protocol}
                   for host in hosts]
    for text in record.network.exposed:
        port, _, protocol = text.partition("/")
        if (int(port), protocol) not in published:
            result.append({"URL": "", "TargetPort": int(port), "PublishedPort": 0,
                           "Protocol": protocol})
    result.sort(key=lambda p: (p["TargetPort"], p["URL"], p["PublishedPort"], p["Protocol"]))
    return result


def ports_text(entries: Iterable[Mapping[str, Any]]) -> str:
    """The ``PORTS`` column: the Docker CLI's ``DisplayablePorts`` (runs of ports
    that map to themselves are grouped, ``0.0.0.0:8000-8001->8000-8001/tcp``)."""
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    result: list[str] = []
    mappings: list[str] = []
    for entry in sorted(entries, key=lambda p: (p["TargetPort"], p["URL"],
                                                p["PublishedPort"], p["Protocol"])):
        target, key = int(entry["TargetPort"]), str(entry["Protocol"])
        if entry["URL"]:
            if entry["PublishedPort"] != target:
                host = entry["URL"]
                host = f"[{host}]" if ":" in host else host
                mappings.append(f"{host}:{entry['PublishedPort']}->{target}/{key}")
                continue
            key = f"{entry['URL']}/{key}"
        group = groups.get(key)
        if group is None:
            groups[key] = [target, target]
            order.append(key)
        elif target == group[1] + 1:
            group[1] = target
        else:
            result.append(_group(key, *group))
            groups[key] = [target, target]
    result += [_group(key, *groups[key]) for key in order]
    return ", ".join(result + mappings)


def _group(key: str, first: int, last: int) -> str:
    ip, _, protocol = key.rpartition("/")
    span = str(first) if first == last else f"{first}-{last}"
    return f"{ip}:{span}->{span}/{protocol}" if ip else f"{span}/{protocol}"


PS_HEADERS = {"ID": "CONTAINER ID", "RunningFor": "CREATED", "CreatedAt": "CREATED AT",
              "ExitCode": "EXIT CODE", "LocalVolumes": "LOCAL VOLUMES"}
"""Column titles of ``ps --format 'table ...'`` where they are not the field's name."""


def ps_row(status: ContainerStatus, now: float, health: str = "") -> dict[str, Any]:
    """``health``: starting, healthy or unhealthy for a running container with a
    health check, else empty."""
    record = status.record
    networks = sorted({a.network_name or f"{record.project}_{a.network}"
                       for a in record.attachments})
    published = publishers(record) if status.state == RUNNING else []
    return {
        "Command": command_text(record.command),
        "CreatedAt": docker_time(record.created),
        "ExitCode": status.exit_code or 0,
        "Health": health if status.state == RUNNING else "",
        "ID": record.id,
        "Image": record.image,
        "Labels": ",".join(f"{k}={v}" for k, v in sorted(record.labels.items())),
        "LocalVolumes": "0",
        "Mounts": "",
        "Name": record.name,
        "Names": record.name,
        "Networks": ",".join(networks),
        "Ports": ports_text(published),
        "Project": record.project,
        "Publishers": published,
        "RunningFor": f"{human_duration(now - record.created)} ago",
        "Service": record.service,
        "Size": "0B",
        "State": status.state,
        "Status": status_text(status, now, health),
    }


def ps_table(rows: list[dict[str, Any]], *, truncate: bool = True) -> str:
    """The text table ``docker compose ps`` prints, columns padded like tabwriter
    (the command cut at 20 characters unless ``--no-trunc``)."""
    headers = ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"]
    body = [[
        r["Name"], r["Image"], _truncate(r["Command"], 20) if truncate else r["Command"],
        r["Service"], r["RunningFor"],
        r["Status"], r["Ports"],
    ] for r in rows]
    return text_table(headers, body)


def _truncate(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: width - 2] + "…" + '"'
