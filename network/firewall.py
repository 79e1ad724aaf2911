"""A project's nftables table (pure): published ports, egress and isolation.

One ``inet`` table per project holds everything, so ``down`` removes it whole and
another project's rules are never touched.  It is always written in full from the
records (``render``), and replaced atomically (``replace_script``).

- publish: traffic for a local address of the host on a published port is DNATed
  to the container (``fib daddr type local``, as Docker's ``addrtype LOCAL``), from
  outside (prerouting) and from the host itself (output).  The client's address is
  kept, except for connections from the host's loopback (which cannot leave ``lo``
  unmasqueraded, with ``route_localnet`` set on the bridge) and for hairpin
  connections from a container on the same bridge.
- egress: a network's subnet is masqueraded when it leaves through any other
  interface, unless the network is internal or masquerading is turned off.
- isolation (forward): replies are let through; a container gets new connections
  from elsewhere only on its published ports; an internal network's traffic never
  leaves its bridge.  So two networks cannot reach each other, while the host can
  reach every container directly (locally made traffic is not forwarded).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from ipaddress import ip_address, ip_interface

from common.records import Attachment, ContainerRecord, NetworkRecord, PortBinding

COMMENT_MAX = 128


def table_name(root_tag: str, project: str) -> str:
    return "pycompose_" + hashlib.sha256(f"{root_tag}\0{project}".encode()).hexdigest()[:10]


def replace_script(table: str, body: str | None) -> str:
    """An ``nft -f`` script that replaces the table (or deletes it when ``body`` is
    None) in one transaction; declaring it first makes the delete always valid."""
    script = f"table inet {table} {{}}\ndelete table inet {table}\n"
    return script + body if body is not None else script


def render(table: str, comment: str, networks: Sequence[NetworkRecord],
           containers: Iterable[ContainerRecord]) -> str | None:
    """The table's text, or None when the project needs no rules."""
    containers = list(containers)
    by_id = {c.id: c for c in containers}
    publish = [rule for c in containers for rule in _publish_rules(c, by_id)]
    if not networks and not publish:
        return None
    postrouting, forward = [], ["ct state established,related accept"]
    for network in networks:
        bridge = _quote(network.bridge)
        subnets = [(f, s) for f, s in (("ip", network.subnet), ("ip6", network.subnet6)) if s]
        postrouting.append(f"oifname {bridge} ip saddr 127.0.0.0/8 masquerade")
        postrouting += [f"oifname {bridge} ct status dnat {f} saddr {s} masquerade"
                        for f, s in subnets]
        if not network.internal:
            if network.masquerade:
                postrouting += [f"oifname != {bridge} {f} saddr {s} masquerade"
                                for f, s in subnets]
            forward.append(f"oifname {bridge} ct status dnat accept")
        forward.append(f"oifname {bridge} iifname != {bridge} drop")
        if network.internal:
            forward.append(f"iifname {bridge} oifname != {bridge} drop")
    lines = [
        f"table inet {table} {{",
        f"\tcomment {_comment(comment)}",
        *_chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;",
                ["fib daddr type local jump publish"]),
        *_chain("output", "type nat hook output priority -100; policy accept;",
                ["fib daddr type local jump publish"]),
        *_chain("publish", None, publish),
        *_chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;",
                postrouting),
        *_chain("forward", "type filter hook forward priority filter; policy accept;",
                forward),
        "}",
    ]
    return "\n".join(lines) + "\n"


def _chain(name: str, hook: str | None, rules: Sequence[str]) -> list[str]:
    return [f"\tchain {name} {{", *([f"\t\t{hook}"] if hook else []),
            *(f"\t\t{rule}" for rule in rules), "\t}"]


def _quote(text: str) -> str:
    """An nft string: nft knows no escapes (a string ends at the next ``"``), so
    anything but printable ASCII is replaced and ``"`` becomes ``'``."""
    return '"' + "".join(c if " " <= c <= "~" and c != '"' else "'" if c == '"' else "?"
                         for c in text) + '"'


def _comment(text: str) -> str:
    """nft takes comments of at most 128 bytes: a long state root is cut short."""
    return _quote(text if len(text) <= COMMENT_MAX else text[:COMMENT_MAX - 3] + "...")


def publish_target(record: ContainerRecord,
                   containers: Mapping[str, ContainerRecord]) -> Attachment | None:
    """The interface published ports lead to: the one with the default route, in the
    container's own namespace or the one it joins."""
    mode = record.network.mode
    if mode.startswith("container:"):
        joined = containers.get(mode[len("container:"):])
        return publish_target(joined, containers) if joined is not None else None
    if mode:  # host ports are the host's own; none has nothing to reach
        return None
    for attachment in record.attachments:
        if attachment.default_route:
            return attachment
    return record.attachments[0] if record.attachments else None


def _publish_rules(record: ContainerRecord,
                   containers: Mapping[str, ContainerRecord]) -> list[str]:
    target = publish_target(record, containers)
    if target is None:
        return []
    rules = []
    for port in record.network.ports:
        if not port.published:
            continue  # not reserved yet
        for family, to in (("ip", target.address), ("ip6", target.address6)):
            rule = _dnat(port, family, to)
            if rule:
                rules.append(rule)
    return rules


def _dnat(port: PortBinding, family: str, to: str) -> str | None:
    if not to:
        return None
    match = ""
    if port.host_ip:
        host = ip_address(port.host_ip)
        if (host.version == 4) != (family == "ip"):
            return None
        if not host.is_unspecified:
            match = f"{family} daddr {host} "
    address = str(ip_interface(to).ip)
    destination = f"{address}:{port.target}" if family == "ip" else f"[{address}]:{port.target}"
    nfproto = "ipv4" if family == "ip" else "ipv6"
    return (f"meta nfproto {nfproto} {match}{port.protocol} dport {port.published} "
            f"dnat {family} to {destination}")


DNS_TABLE = "pycompose_dns"


def dns_redirect_script(address: str, udp_port: int, tcp_port: int) -> str:
    """Inside a container's namespace: queries to ``address``:53 go to the ports the
    embedded DNS server really listens on, as Docker does it, so port 53 stays free
    for the container's own use (a DNS server of its own binding 0.0.0.0:53)."""
    body = "\n".join([
        f"table ip {DNS_TABLE} {{",
        "  chain output {",
        "    type nat hook output priority -100; policy accept;",
        f"    ip daddr {address} udp dport 53 dnat to {address}:{udp_port}",
        f"    ip daddr {address} tcp dport 53 dnat to {address}:{tcp_port}",
        "  }",
        "}",
    ])
    return f"table ip {DNS_TABLE} {{}}\ndelete table ip {DNS_TABLE}\n{body}\n"
