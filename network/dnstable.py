"""The embedded DNS server's knowledge (pure): who is called what, on which network.

A ``NameTable`` is built from container records (``build_table``), and answers a
question asked by one container (``lookup``).  Names are only seen on the
networks the asking container is on, as with Docker's embedded DNS: service
name, container name, network aliases, hostname and short id; ``links`` add
aliases only the linking container sees.  Every serving replica of a name is
returned, in shuffled order (DNS round robin); a replica that is stopped or
unhealthy is left out.  A name the table does not know is for the upstream
resolvers (``FORWARD``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from ipaddress import ip_address, ip_interface

from common.records import ContainerRecord, is_oneoff

A, AAAA, PTR = "A", "AAAA", "PTR"


@dataclass(frozen=True)
class Endpoint:
    """A container on one network, by all the names it answers to there."""

    container: str
    network: str  # the bridge: one network, whichever project names it
    names: frozenset[str]
    ipv4: str = ""
    ipv6: str = ""
    serving: bool = True
    pointer: str = ""  # the name a reverse lookup gives: the container's name


@dataclass(frozen=True)
class Client:
    """A container asking: its networks, its private aliases and its own resolvers."""

    container: str
    networks: frozenset[str]
    links: Mapping[str, str] = field(default_factory=dict)  # alias -> container name
    upstreams: tuple[str, ...] = ()  # ``dns:`` of the service; empty: the host's


@dataclass(frozen=True)
class Lookup:
    """What to answer: ``addresses`` (possibly none: the name exists without records
    of that type), a ``pointer`` name, ``nxdomain``, or ``forward`` upstream."""

    addresses: tuple[str, ...] = ()
    pointer: str = ""
    nxdomain: bool = False
    forward: bool = False


FORWARD = Lookup(forward=True)
NXDOMAIN = Lookup(nxdomain=True)


@dataclass(frozen=True)
class NameTable:
    endpoints: tuple[Endpoint, ...] = ()
    clients: Mapping[str, Client] = field(default_factory=dict)
    """By container id."""
    by_address: Mapping[str, str] = field(default_factory=dict)
    """Container id by each of its addresses (for a server that only sees the source)."""

    @cached_property
    def _by_name(self) -> dict[str, list[Endpoint]]:
        index: dict[str, list[Endpoint]] = {}
        for endpoint in self.endpoints:
            for name in endpoint.names:
                index.setdefault(name, []).append(endpoint)
        return index

    def client(self, container: str | None = None, address: str = "") -> Client | None:
        if container is None:
            container = self.by_address.get(_normal_ip(address))
        return self.clients.get(container) if container else None

    def lookup(self, client: Client | None, name: str, qtype: str,
               rng: random.Random | None = None) -> Lookup:
        """The answer for ``client`` asking ``name`` (``A``, ``AAAA``, ``PTR``, ...)."""
        if client is None:
            return FORWARD
        name = name.lower().rstrip(".")
        if qtype == PTR:
            return self._pointer(client, name)
        name = client.links.get(name, name)
        known = [e for e in self._by_name.get(name, ()) if e.network in client.networks]
        if not known:
            return FORWARD
        serving = [e for e in known if e.serving]
        if not serving:
            return NXDOMAIN
        if qtype not in (A, AAAA):
            return Lookup()
        addresses = list(dict.fromkeys(
            e.ipv4 if qtype == A else e.ipv6 for e in serving if (e.ipv4 if qtype == A
                                                                   else e.ipv6)))
        (rng or random).shuffle(addresses)
        return Lookup(addresses=tuple(addresses))

    def _pointer(self, client: Client, name: str) -> Lookup:
        address = _from_reverse(name)
        if address is None:
            return FORWARD
        for endpoint in self.endpoints:
            if endpoint.network in client.networks and address in (endpoint.ipv4,
                                                                   endpoint.ipv6):
                if not endpoint.serving:
                    return NXDOMAIN
                return Lookup(pointer=endpoint.pointer)
        return FORWARD


def build_table(records: Iterable[ContainerRecord],
                serving: Callable[[ContainerRecord], bool] = lambda r: True) -> NameTable:
    """The table for these containers (every project's, so external networks work);
    ``serving`` says whether a container is running and not unhealthy."""
    records = list(records)
    by_id = {r.id: r for r in records}
    endpoints, clients, by_address = [], {}, {}
    for record in records:
        up = serving(record)
        # a one-off (``run``) answers to its own names; its aliases say if more
        service = "" if is_oneoff(record) else record.service
        for attachment in record.attachments:
            names = {record.hostname, record.short_id, record.name, service,
                     *attachment.aliases}
            ipv4 = _bare(attachment.address)
            ipv6 = _bare(attachment.address6)
            endpoints.append(Endpoint(record.id, attachment.bridge,
                                      frozenset(n.lower() for n in names if n),
                                      ipv4, ipv6, up, record.name))
            by_address.update({a: record.id for a in (ipv4, ipv6) if a})
        home = _namespace_owner(record, by_id)
        clients[record.id] = Client(
            container=record.id,
            networks=frozenset(a.bridge for a in home.attachments),
            links={alias.lower(): target.lower() for target, alias in record.network.links},
            upstreams=record.network.dns,
        )
    return NameTable(tuple(endpoints), clients, by_address)


def _namespace_owner(record: ContainerRecord,
                     by_id: Mapping[str, ContainerRecord]) -> ContainerRecord:
    """The container whose network namespace ``record`` lives in."""
    mode = record.network.mode
    if mode.startswith("container:"):
        owner = by_id.get(mode[len("container:"):])
        if owner is not None:
            return owner
    return record


@lru_cache(maxsize=4096)  # each rebuild of the table parses every address again
def _bare(text: str) -> str:
    return str(ip_interface(text).ip) if text else ""


def _normal_ip(text: str) -> str:
    try:
        address = ip_address(text.split("%", 1)[0])
    except ValueError:
        return text
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def _from_reverse(name: str) -> str | None:
    """``2.0.89.10.in-addr.arpa`` -> ``10.89.0.2`` (and ``ip6.arpa`` nibbles)."""
    if name.endswith(".in-addr.arpa"):
        parts = name[: -len(".in-addr.arpa")].split(".")
        if len(parts) == 4:
            return _normal_ip(".".join(reversed(parts)))
    elif name.endswith(".ip6.arpa"):
        nibbles = name[: -len(".ip6.arpa")].split(".")
        if len(nibbles) == 32:
            text = "".join(reversed(nibbles))
            return _normal_ip(":".join(text[i:i + 4] for i in range(0, 32, 4)))
    return None
