"""Service ``ports``: the short syntax expanded to docker compose's long form.

``"127.0.0.1:8080-8081:80-81/udp"`` becomes one mapping per container port, in
the order docker compose prints them (its ports are map keys like ``"80/tcp"``,
sorted as strings, so ``10000`` comes before ``9999``).  ``published`` is always a
string, ``mode`` defaults to ``ingress`` and ``protocol`` to ``tcp``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from compose.spec.golang.values import to_int, to_str

PROTOCOLS = ("tcp", "udp", "sctp")
# The long form's keys in the order docker compose prints them.
PORT_KEYS = ("name", "mode", "host_ip", "target", "published", "protocol", "app_protocol")


class PortError(ValueError):
    pass


def parse_port(spec: str) -> list[dict[str, Any]]:
    """One short-syntax entry (``[ip:][host[-host]:]container[-container][/proto]``)."""
    ip, host, container = _split(spec)
    protocol, container = _split_protocol(container)
    if ip.startswith("["):
        ip = ip[1:].split("]", 1)[0] if "]" in ip else ip
    if ip and not _is_ip(ip):
        raise PortError(f"invalid IP address: {ip}")
    if protocol.lower() not in PROTOCOLS:
        raise PortError(f"invalid proto: {protocol}")
    try:
        start, end = _range(container)
    except ValueError:
        raise PortError(f"invalid containerPort: {container}") from None
    host_start = host_end = 0
    if host:
        try:
            host_start, host_end = _range(host)
        except ValueError:
            raise PortError(f"invalid hostPort: {host}") from None
        if end - start != host_end - host_start and end != start:
            raise PortError("invalid ranges specified for container and host Ports: "
                            f"{container} and {host}")
    entries: dict[str, dict[str, Any]] = {}
    for offset in range(end - start + 1):
        published = str(host_start + offset) if host else ""
        if host and start == end and host_start != host_end:
            published = f"{host_start}-{host_end}"
        entry: dict[str, Any] = {"mode": "ingress"}
        if ip:
            entry["host_ip"] = ip
        entry["target"] = start + offset
        if published:
            entry["published"] = published
        entry["protocol"] = protocol.lower()
        entries[f"{start + offset}/{protocol.lower()}"] = entry
    return [entries[key] for key in sorted(entries)]


def _split(spec: str) -> tuple[str, str, str]:
    parts = spec.split(":")
    if len(parts) == 1:
        return "", "", parts[0]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return ":".join(parts[:-2]), parts[-2], parts[-1]


def _split_protocol(container: str) -> tuple[str, str]:
    parts = container.split("/")
    if not container or not parts[0]:
        return "", ""
    if len(parts) == 1 or not parts[1]:
        return "tcp", parts[0]
    return parts[1], parts[0]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _range(text: str) -> tuple[int, int]:
    if not text:
        raise ValueError("empty")
    low, sep, high = text.partition("-")
    start = _port_number(low)
    end = _port_number(high) if sep else start
    if end < start:
        raise ValueError("reversed range")
    return start, end


def _port_number(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(text)
    return int(text)


def long_port(entry: dict[str, Any]) -> dict[str, Any]:
    """A long-syntax mapping with docker compose's defaults and types."""
    result: dict[str, Any] = {}
    for key in PORT_KEYS:
        value = entry.get(key)
        if key == "mode":
            value = value or "ingress"
        elif key == "protocol":
            value = value or "tcp"
        if value is None or value == "":
            continue
        result[key] = to_int(value) if key == "target" else to_str(value)
    result.update((k, v) for k, v in entry.items() if k.startswith("x-"))
    return result


def canonical_ports(value: Iterable[Any]) -> list[Any]:
    """Every entry in long form; a later duplicate replaces an earlier one in place."""
    result: list[Any] = []
    seen: dict[str, int] = {}
    for entry in value:
        if isinstance(entry, dict):
            expanded = [long_port(entry)]
        elif isinstance(entry, int) and not isinstance(entry, bool):
            expanded = [long_port({"target": entry})]
        else:
            try:
                expanded = parse_port(str(entry))
            except PortError:
                if "$" not in str(entry):
                    raise
                result.append(entry)  # not interpolated (--no-interpolate): kept as written
                continue
        for port in expanded:
            key = port_key(port)
            if key in seen:
                result[seen[key]] = port
            else:
                seen[key] = len(result)
                result.append(port)
    return result


def port_key(port: dict[str, Any]) -> str:
    """What makes two ports the same binding (compose-go's unicity rule)."""
    return (f"{port.get('host_ip') or '0.0.0.0'}:{port.get('published', '')}:"
            f"{port.get('target')}/{port.get('protocol', 'tcp')}")
