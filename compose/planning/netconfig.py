"""A service's networking, read from its canonical form (pure).

The loader has already put every key in long form (``ports`` as mappings with one
container port each, ``extra_hosts`` as ``name=address``, ``networks`` as a
mapping); this module turns those into small typed values that planning reads,
so ``plan.py`` never digs through raw mappings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

HOST_GATEWAY = "host-gateway"


@dataclass(frozen=True)
class Endpoint:
    """The service's attachment to one network (``services.*.networks.<key>``)."""

    network: str
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    mac_address: str | None = None
    priority: int = 0
    gw_priority: int = 0


@dataclass(frozen=True)
class PortSpec:
    """One ``ports`` entry: ``published`` is ``None`` for a random host port, or a
    range of which any one free port will do (``"8000-8010:80"``)."""

    target: int
    protocol: str = "tcp"
    host_ip: str = ""
    published: tuple[int, int] | None = None


@dataclass(frozen=True)
class Networking:
    mode: str = ""
    """``""`` (the service's networks), ``none``, ``host``, ``service:<name>`` or
    ``container:<name>``."""
    endpoints: tuple[Endpoint, ...] = ()
    """In the order interfaces are made: ``priority`` first, then the network key."""
    ports: tuple[PortSpec, ...] = ()
    expose: tuple[tuple[int, str], ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    dns_options: tuple[str, ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    """(service, alias) from ``links``; the alias is the service name when none is given."""
    external_links: tuple[tuple[str, str], ...] = ()
    """(container name, alias) from ``external_links``."""

    @property
    def shared_with(self) -> tuple[str, str] | None:
        """(``service`` or ``container``, name) when the namespace of another is joined."""
        kind, _, name = self.mode.partition(":")
        return (kind, name) if kind in ("service", "container") and name else None


def service_networking(canonical: Mapping[str, Any]) -> Networking:
    mode = str(canonical.get("network_mode") or "")
    if mode == "bridge":
        mode = ""
    endpoints = [_endpoint(str(key), value or {})
                 for key, value in (canonical.get("networks") or {}).items()]
    endpoints.sort(key=lambda e: -e.priority)  # stable: key order among equals
    if endpoints and canonical.get("mac_address") and endpoints[0].mac_address is None:
        # the deprecated service-level mac_address belongs to the first interface
        first = endpoints[0]
        endpoints[0] = Endpoint(first.network, first.aliases, first.ipv4_address,
                                first.ipv6_address, str(canonical["mac_address"]),
                                first.priority, first.gw_priority)
    return Networking(
        mode=mode,
        endpoints=tuple(endpoints),
        ports=tuple(_port(p) for p in canonical.get("ports") or ()),
        expose=tuple(p for e in canonical.get("expose") or () for p in _expose(str(e))),
        dns=_strings(canonical.get("dns")),
        dns_search=_strings(canonical.get("dns_search")),
        dns_options=_strings(canonical.get("dns_opt")),
        extra_hosts=tuple(_host(str(h)) for h in canonical.get("extra_hosts") or ()),
        links=tuple(_link(str(link)) for link in canonical.get("links") or ()),
        external_links=tuple(_link(str(link)) for link in canonical.get("external_links") or ()),
    )


def _endpoint(key: str, raw: Mapping[str, Any]) -> Endpoint:
    return Endpoint(
        network=key,
        aliases=_strings(raw.get("aliases")),
        ipv4_address=raw.get("ipv4_address") or None,
        ipv6_address=raw.get("ipv6_address") or None,
        mac_address=raw.get("mac_address") or None,
        priority=int(raw.get("priority") or 0),
        gw_priority=int(raw.get("gw_priority") or 0),
    )


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable):
        return tuple(str(v) for v in value)
    return (str(value),)


def _port(raw: Mapping[str, Any]) -> PortSpec:
    published = raw.get("published")
    span = None
    if published not in (None, ""):
        low, _, high = str(published).partition("-")
        span = (int(low), int(high or low))
    return PortSpec(target=int(raw["target"]), protocol=str(raw.get("protocol") or "tcp"),
                    host_ip=str(raw.get("host_ip") or ""), published=span)


def _expose(text: str) -> list[tuple[int, str]]:
    """``"80"``, ``"8000-8002"``, ``"53/udp"``: one entry per port."""
    ports, _, protocol = text.partition("/")
    low, _, high = ports.partition("-")
    return [(p, protocol or "tcp") for p in range(int(low), int(high or low) + 1)]


def _host(text: str) -> tuple[str, str]:
    """``name=address`` (canonical) or ``name:address`` (as written)."""
    if "=" in text:
        name, _, address = text.partition("=")
    else:
        name, _, address = text.partition(":")
    return name.strip(), address.strip().strip("[]")


def _link(text: str) -> tuple[str, str]:
    target, _, alias = text.partition(":")
    return target, alias or target
