"""Network planning (pure): which networks a project needs, each container's
addresses and interfaces, and its ``/etc/hosts``.

Networks and addresses are identified by bridge, not by key, where another
project is involved: an ``external`` network is another project's network that
this one joins.  Addresses already recorded are never handed out again by a
dynamic allocation (a recreated container gets a fresh one, so no neighbour's
ARP cache points at the wrong interface); a static address only has to be free
of the containers that stay.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from ipaddress import ip_interface

from common.errors import UsageError
from common.records import Attachment, ContainerRecord, NetworkRecord, NetworkSettings, PortBinding
from compose.planning.netconfig import HOST_GATEWAY, Endpoint, Networking, service_networking
from compose.planning.observed import ObservedState
from compose.spec.load.netbuild import BRIDGE_NAME, MASQUERADE, MTU
from compose.spec.model import Network, Project, Service
from network import ipam
from network import names as ifnames
from network.hosts import render_hosts
from network.ipam import IPAddress, IPNetwork


def networks_in_use(project: Project) -> list[str]:
    """Keys of the networks the project's (selected) services join, in file order."""
    used = {key for service in project.services.values() for key in service.networks}
    return [key for key in project.networks if key in used]


def network_hash(network: Network) -> str:
    """What a network is made from; when it changes, ``up`` makes the network again."""
    data = {"internal": network.internal, "enable_ipv6": network.enable_ipv6,
            "labels": dict(network.labels), "driver_opts": dict(network.driver_opts),
            "ipam": [{f.name: getattr(config, f.name) for f in fields(config)}
                     for config in network.ipam]}
    text = json.dumps(data, sort_keys=True,
                      default=lambda v: dict(v) if isinstance(v, Mapping) else str(v))
    return hashlib.sha256(text.encode()).hexdigest()


def diverged_networks(project: Project, observed: ObservedState) -> frozenset[str]:
    """Keys of the project's networks that were made from another configuration than
    the file's now (as Docker Compose finds by its config-hash label): made again,
    with the containers on them."""
    found = set()
    for key in networks_in_use(project):
        network, record = project.networks[key], observed.networks.get(key)
        if network.external or record is None or not record.config_hash:
            continue
        if record.config_hash != network_hash(network):
            found.add(key)
    return frozenset(found)


def plan_networks(project: Project, observed: ObservedState, root_tag: str,
                  renew: frozenset[str] = frozenset()) -> dict[str, NetworkRecord]:
    """The project's networks: the ones already made, the external ones found in
    other projects, plus fresh ones with free subnets; those of ``renew`` (diverged)
    are made afresh, their old subnets free again."""
    result: dict[str, NetworkRecord] = {}
    elsewhere = observed.surroundings.networks
    taken: list[IPNetwork] = [*observed.taken_subnets]
    old = [r for k, r in observed.networks.items() if k not in renew]
    for record in [*old, *elsewhere.values()]:
        taken += [ipam.parse_any(s) for s in (record.subnet, record.subnet6) if s]
    for key in networks_in_use(project):
        network = project.networks[key]
        if network.external:
            found = elsewhere.get(network.name)
            if found is None:
                raise UsageError(f"network {network.name} declared as external, but could not "
                                 "be found")
            result[key] = found
        elif key in observed.networks and key not in renew:
            result[key] = observed.networks[key]
        elif network.name in elsewhere:
            owner = elsewhere[network.name].project
            raise UsageError(f"network {network.name} already exists in project {owner}; "
                             f"declare it with external: true to join it")
        else:
            result[key] = new_network(project.name, network, root_tag, taken,
                                      observed.surroundings.address_pools)
            taken += [ipam.parse_any(s) for s in (result[key].subnet, result[key].subnet6) if s]
    return result


def new_network(project: str, network: Network, root_tag: str, taken: Sequence[IPNetwork],
                pools: Sequence[ipam.AddressPool]) -> NetworkRecord:
    where = f"network {network.key}"
    v4 = _subnet(where, network, 4, taken, pools)
    v6 = _subnet(where, network, 6, taken, pools) if network.enable_ipv6 else None
    bridge = network.driver_opts.get(BRIDGE_NAME) or ifnames.bridge_name(root_tag, network.name)
    if not ifnames.valid_ifname(bridge):
        raise UsageError(f"{where}: {bridge!r} is not a valid interface name (1 to "
                         f"{ifnames.IFNAMSIZ} characters, no '/', ':' or spaces)")
    mtu = 0
    if MTU in network.driver_opts:
        try:
            mtu = int(network.driver_opts[MTU])
        except ValueError:
            mtu = -1
        if not 68 <= mtu <= 65535:
            raise UsageError(f"{where}: driver_opts {MTU} must be a number from 68 to 65535")
    return NetworkRecord(
        key=network.key, name=network.name, project=project, bridge=bridge,
        subnet=str(v4.subnet), gateway=str(v4.gateway),
        subnet6=str(v6.subnet) if v6 else "", gateway6=str(v6.gateway) if v6 else "",
        ip_range=str(v4.ip_range) if v4.ip_range else "",
        reserved=tuple(str(a) for a in (*v4.reserved, *(v6.reserved if v6 else ()))),
        internal=network.internal,
        masquerade=network.driver_opts.get(MASQUERADE, "true").lower() != "false",
        mtu=mtu, labels=dict(network.labels), config_hash=network_hash(network),
    )


@dataclass(frozen=True)
class _Subnet:
    subnet: IPNetwork
    gateway: IPAddress
    ip_range: IPNetwork | None = None
    reserved: tuple[IPAddress, ...] = ()


def _subnet(where: str, network: Network, version: int, taken: Sequence[IPNetwork],
            pools: Sequence[ipam.AddressPool]) -> _Subnet:
    """From the network's ``ipam.config`` entry of this family, else from a pool."""
    configs = [c for c in network.ipam if c.subnet and _version(where, c.subnet) == version]
    if not configs:
        subnet = ipam.choose_from_pools(taken, pools, version)
        return _Subnet(subnet, ipam.gateway(subnet))
    config = configs[0]
    subnet = ipam.parse_any(str(config.subnet))
    clash = ipam.overlapping(subnet, taken)
    if clash is not None:
        raise UsageError(f"{where}: subnet {subnet} overlaps {clash}, which another network "
                         "uses")
    gateway = ipam.gateway(subnet)
    if config.gateway:
        gateway = _address_in(where, "gateway", config.gateway, subnet)
    ip_range = None
    if config.ip_range:
        ip_range = ipam.parse_any(config.ip_range)
        if not (ip_range.version == subnet.version
                and ip_range.subnet_of(subnet)):  # type: ignore[arg-type]
            raise UsageError(f"{where}: ip_range {ip_range} is not inside subnet {subnet}")
    reserved = tuple(_address_in(where, f"aux_addresses.{name}", text, subnet)
                     for name, text in config.aux_addresses.items())
    return _Subnet(subnet, gateway, ip_range, reserved)


def _version(where: str, text: str) -> int:
    try:
        return ipam.parse_any(text).version
    except ValueError:
        raise UsageError(f"{where}: invalid subnet {text!r}") from None


def _address_in(where: str, what: str, text: str, subnet: IPNetwork) -> IPAddress:
    try:
        address = ipam.parse_address(text)
    except ValueError:
        raise UsageError(f"{where}: {what} {text!r} is not an IP address") from None
    if address not in subnet:
        raise UsageError(f"{where}: {what} {address} is not in subnet {subnet}")
    return address


@dataclass
class Leases:
    """Addresses on each bridge: ``seen`` (every recorded one) and ``held`` (by the
    containers that stay, naming the holder)."""

    networks: Mapping[str, NetworkRecord]
    seen: dict[str, set[IPAddress]] = field(default_factory=dict)
    held: dict[str, dict[IPAddress, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for network in self.networks.values():
            for text in (network.gateway, network.gateway6, *network.reserved):
                if text:
                    self._hold(network.bridge, ipam.parse_address(text), "the network")

    def _hold(self, bridge: str, address: IPAddress, holder: str) -> None:
        self.seen.setdefault(bridge, set()).add(address)
        self.held.setdefault(bridge, {})[address] = holder

    def note(self, record: ContainerRecord, *, staying: bool) -> None:
        for attachment in record.attachments:
            for text in (attachment.address, attachment.address6):
                if not text:
                    continue
                address = ipam.parse_address(text)
                if staying:
                    self._hold(attachment.bridge, address, record.name)
                else:
                    self.seen.setdefault(attachment.bridge, set()).add(address)

    def claim(self, who: str, key: str, text: str, version: int) -> IPAddress:
        """A static address for container ``who`` on network ``key``."""
        network = self.networks[key]
        subnet_text = network.subnet if version == 4 else network.subnet6
        what = "ipv4_address" if version == 4 else "ipv6_address"
        if not subnet_text:
            raise UsageError(f"{who}: {what} {text} on network {key}, which has no IPv{version}")
        address = _address_in(f"{who}: network {key}", what, text, ipam.parse_any(subnet_text))
        holder = self.held.get(network.bridge, {}).get(address)
        if holder is not None and holder != who:
            raise UsageError(f"{who}: address {address} on network {key} is already in use "
                             f"by {holder}")
        self._hold(network.bridge, address, who)
        return address

    def next(self, who: str, key: str, version: int) -> IPAddress:
        network = self.networks[key]
        subnet = ipam.parse_any(network.subnet if version == 4 else network.subnet6)
        within = ipam.parse_any(network.ip_range) if network.ip_range and version == 4 \
            else None
        address = ipam.next_address(subnet, self.seen.get(network.bridge, set()), within)
        self._hold(network.bridge, address, who)
        return address


def attachments(record_id: str, name: str, service: Service,
                networks: Mapping[str, NetworkRecord], leases: Leases,
                static: Mapping[tuple[str, int], IPAddress]) -> tuple[Attachment, ...]:
    """One interface per network, ``eth0`` first; the default route goes through the
    non-internal network with the highest ``gw_priority`` (the first on a tie)."""
    endpoints = {e.network: e for e in service_networking(service.canonical).endpoints}
    result = []
    for index, key in enumerate(service.networks):
        network = networks[key]
        endpoint = endpoints.get(key, Endpoint(key))
        v4 = static.get((key, 4))
        if v4 is None:
            v4 = leases.next(name, key, 4)
        v6 = static.get((key, 6))
        if v6 is None and network.subnet6:
            v6 = leases.next(name, key, 6)
        prefix = ipam.parse_any(network.subnet).prefixlen
        prefix6 = ipam.parse_any(network.subnet6).prefixlen if network.subnet6 else 0
        result.append(Attachment(
            network=key, bridge=network.bridge, address=f"{v4}/{prefix}",
            gateway=network.gateway,
            veth=ifnames.veth_name(record_id, network.name),
            peer=ifnames.veth_peer_name(record_id, network.name),
            address6=f"{v6}/{prefix6}" if v6 else "", gateway6=network.gateway6,
            mac=endpoint.mac_address or "", ifname=f"eth{index}", default_route=False,
            aliases=(service.name, name, *endpoint.aliases), mtu=network.mtu,
            network_name=network.name,
        ))
    routable = [a for a in result if not networks[a.network].internal]
    if routable:
        priority = {e.network: e.gw_priority for e in endpoints.values()}
        best = max(routable, key=lambda a: priority.get(a.network, 0))  # first of the best
        result = [replace(a, default_route=a is best) for a in result]
    return tuple(result)


def static_addresses(who: str, service: Service, networks: Mapping[str, NetworkRecord],
                     leases: Leases) -> dict[tuple[str, int], IPAddress]:
    """Claim the service's ``ipv4_address``/``ipv6_address`` before any dynamic
    allocation can take them."""
    claimed: dict[tuple[str, int], IPAddress] = {}
    for endpoint in service_networking(service.canonical).endpoints:
        if endpoint.network not in networks:
            continue
        if endpoint.ipv4_address:
            claimed[endpoint.network, 4] = leases.claim(who, endpoint.network,
                                                        endpoint.ipv4_address, 4)
        if endpoint.ipv6_address:
            claimed[endpoint.network, 6] = leases.claim(who, endpoint.network,
                                                        endpoint.ipv6_address, 6)
    return claimed


def settings(networking: Networking, mode: str, gateway: str,
             link_names: Mapping[str, str]) -> NetworkSettings:
    """The record's network settings; ``host-gateway`` becomes ``gateway`` and a
    link to a service becomes a link to its container."""
    ports = []
    for port in networking.ports if mode not in ("host", "none") else ():
        low, high = port.published or (0, 0)
        ports.append(PortBinding(target=port.target, protocol=port.protocol,
                                 host_ip=port.host_ip, published=low,
                                 range_end=high if high != low else 0))
    return NetworkSettings(
        mode=mode,
        ports=tuple(ports),
        exposed=tuple(sorted({f"{p}/{proto}" for p, proto in networking.expose})),
        dns=networking.dns, dns_search=networking.dns_search,
        dns_options=networking.dns_options,
        extra_hosts=tuple((name, gateway if address == HOST_GATEWAY else address)
                          for name, address in networking.extra_hosts),
        links=tuple((link_names.get(target, target), alias)
                    for target, alias in (*networking.links, *networking.external_links)),
    )


def hosts_files(containers: Iterable[ContainerRecord], networks: Mapping[str, NetworkRecord],
                others: Iterable[ContainerRecord] = ()) -> dict[str, str]:
    """``/etc/hosts`` for each container: ``extra_hosts`` and itself.  A container on
    networks of its own asks the embedded DNS server for its peers (so round robin
    and health apply: a resolver reads /etc/hosts first); one that joins another's
    namespace gets every container that shares a network with it, by its aliases on
    the first shared network.  ``others`` (containers that are not being planned, of
    this project or another) are listed too when they share a bridge."""
    containers = list(containers)
    others = list(others)
    by_id = {r.id: r for r in (*others, *containers)}
    result = {}
    for record in containers:
        source = record
        mode = record.network.mode
        if mode.startswith("container:") and mode[len("container:"):] in by_id:
            source = by_id[mode[len("container:"):]]  # its namespace, so its neighbours
        mine = [a for a in source.attachments if a.network in networks]
        own = []
        if source.attachments:
            first = source.attachments[0]
            own.append((_ip(first.address), (record.hostname,)))
            if first.address6:
                own.append((_ip(first.address6), (record.hostname,)))
        aliases: dict[str, list[str]] = {}
        for target, alias in record.network.links:
            aliases.setdefault(target, []).append(alias)
        peers = []
        for other in [*containers, *others] if mode else ():
            if other.id in (record.id, source.id):
                continue
            shared = _shared(mine, other, same_project=other.project == record.project)
            if shared is not None:
                names = [*shared.aliases] or [other.service, other.name]
                names += [a for a in aliases.get(other.name, ()) if a not in names]
                peers.append((_ip(shared.address), tuple(names)))
        result[record.id] = render_hosts(own, peers, record.network.extra_hosts)
    return result


def _shared(mine: Sequence[Attachment], other: ContainerRecord,
            same_project: bool) -> Attachment | None:
    """``other``'s attachment on the first of ``mine``'s networks it is on too."""
    for attachment in mine:
        for theirs in other.attachments:
            if (theirs.network == attachment.network if same_project
                    else theirs.bridge == attachment.bridge):
                return theirs
    return None


def _ip(text: str) -> str:
    return str(ip_interface(text).ip)


def first_gateway(attachments: Sequence[Attachment]) -> str:
    """Where ``host-gateway`` points: the host's address on the first network (its
    loopback address without one, as with ``network_mode: host``)."""
    for attachment in attachments:
        if attachment.gateway:
            return attachment.gateway
    return "127.0.0.1"
