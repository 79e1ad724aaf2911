"""Contents of a container's ``/etc/hosts`` and ``/etc/resolv.conf`` (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

_BASE = (
    ("127.0.0.1", ("localhost",)),
    ("::1", ("localhost", "ip6-localhost", "ip6-loopback")),
    ("fe00::0", ("ip6-localnet",)),
    ("ff00::0", ("ip6-mcastprefix",)),
    ("ff02::1", ("ip6-allnodes",)),
    ("ff02::2", ("ip6-allrouters",)),
)


def render_hosts(own: Sequence[tuple[str, Sequence[str]]],
                 peers: Iterable[tuple[str, Sequence[str]]]) -> str:
    """Docker's base entries, the container's own address and hostname, then one
    line per peer container (service name and container name) on shared networks."""
    lines = [f"{address}\t{' '.join(names)}" for address, names in (*_BASE, *own)]
    lines += [f"{address}\t{' '.join(names)}" for address, names in peers]
    return "\n".join(lines) + "\n"


def render_resolv_conf(host_resolv_conf: str) -> str:
    """The host's resolvers minus loopback ones, which a container cannot reach."""
    kept = []
    for line in host_resolv_conf.splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and (
            len(words) < 2 or words[1].startswith("127.") or words[1] == "::1"
        ):
            continue
        if words[0] in {"nameserver", "search", "options", "domain"}:
            kept.append(" ".join(words))
    return "\n".join(kept) + "\n" if kept else ""
