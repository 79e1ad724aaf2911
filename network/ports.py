"""Host ports for published container ports: checked free, and chosen when the
file leaves the choice to us, before anything is created or started.

A port is taken when another container of this state root publishes it (its
record says so) or when a socket of the host holds it (a bind test: published
ports are DNAT rules, not sockets, so a host process could otherwise be shadowed
silently).  Random ports come from the kernel's ephemeral range: binding port 0
picks one no socket holds.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from common.errors import NetworkFailure
from common.records import ContainerRecord, PortBinding

Probe = Callable[[str, int, str], int | None]
"""(host_ip, port, protocol) -> the port if a socket could bind it (0: any), else None."""
ATTEMPTS = 64


def endpoint_text(host_ip: str, port: int, protocol: str) -> str:
    host = host_ip or "0.0.0.0"
    return f"[{host}]:{port}/{protocol}" if ":" in host else f"{host}:{port}/{protocol}"


def overlaps(a: PortBinding, b: PortBinding, port: int) -> bool:
    """Would ``a`` on ``port`` receive what ``b`` receives?"""
    if a.protocol != b.protocol or b.published != port:
        return False
    wild = ("", "0.0.0.0", "::")
    return a.host_ip == b.host_ip or a.host_ip in wild or b.host_ip in wild


def reserve(starting: Sequence[ContainerRecord], others: Iterable[ContainerRecord],
            probe: Probe) -> list[ContainerRecord]:
    """``starting`` with every published port concrete; a port another container
    publishes or a host socket holds is an error naming the service."""
    taken: list[tuple[PortBinding, str]] = [
        (binding, record.name) for record in others for binding in record.network.ports
        if binding.published and not binding.range_end
    ]
    result = []
    for record in starting:
        bindings = []
        for binding in record.network.ports:
            chosen = _choose(record, binding, taken, probe)
            taken.append((chosen, record.name))
            bindings.append(chosen)
        result.append(replace(record, network=replace(record.network, ports=tuple(bindings))))
    return result


def _choose(record: ContainerRecord, binding: PortBinding,
            taken: Sequence[tuple[PortBinding, str]], probe: Probe) -> PortBinding:
    def holder(port: int) -> str | None:
        return next((name for other, name in taken if overlaps(binding, other, port)), None)

    where = f"service {record.service}"
    if binding.published and not binding.range_end:
        port = binding.published
        text = endpoint_text(binding.host_ip, port, binding.protocol)
        owner = holder(port)
        if owner is not None:
            raise NetworkFailure(f"{where}: host port {text} is already published by {owner}")
        if probe(binding.host_ip, port, binding.protocol) is None:
            raise NetworkFailure(f"{where}: host port {text} is already in use on this host")
        return binding
    if binding.range_end:
        for port in range(binding.published, binding.range_end + 1):
            if holder(port) is None and probe(binding.host_ip, port, binding.protocol):
                return replace(binding, published=port, range_end=0)
        raise NetworkFailure(
            f"{where}: no free host port in {binding.published}-{binding.range_end}"
            f"/{binding.protocol}")
    for _ in range(ATTEMPTS):
        found = probe(binding.host_ip, 0, binding.protocol)
        if found and holder(found) is None:
            return replace(binding, published=found)
    raise NetworkFailure(f"{where}: no free host port for {binding.target}/{binding.protocol}")


def bind_probe(host_ip: str, port: int, protocol: str) -> int | None:
    """Bind a socket as a server would (``SO_REUSEADDR``: connections lingering in
    TIME_WAIT do not count); the port it got, or None when it is held."""
    host = host_ip or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_DGRAM if protocol == "udp" else socket.SOCK_STREAM
    proto = socket.IPPROTO_SCTP if protocol == "sctp" else 0
    try:
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise NetworkFailure(f"cannot test host port {endpoint_text(host_ip, port, protocol)}: "
                             f"{exc.strerror}") from None
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise NetworkFailure(f"host address {host} of a published port is not an "
                                     "address of this host") from None
            raise NetworkFailure(f"cannot bind {endpoint_text(host_ip, port, protocol)}: "
                                 f"{exc.strerror}") from None
        return int(sock.getsockname()[1])
