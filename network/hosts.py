"""Contents of a container's ``/etc/hosts`` and ``/etc/resolv.conf`` (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from common.records import NetworkSettings

_BASE = (
    ("127.0.0.1", ("localhost",)),
    ("::1", ("localhost", "ip6-localhost", "ip6-loopback")),
    ("fe00::0", ("ip6-localnet",)),
    ("ff00::0", ("ip6-mcastprefix",)),
    ("ff02::1", ("ip6-allnodes",)),
    ("ff02::2", ("ip6-allrouters",)),
)


def render_hosts(own: Sequence[tuple[str, Sequence[str]]],
                 peers: Iterable[tuple[str, Sequence[str]]],
                 extra: Iterable[tuple[str, str]] = ()) -> str:
    """Docker's base entries, ``extra_hosts``, the container's own address and
    hostname, then one line per peer container on shared networks."""
    entries = [*_BASE, *((address, (name,)) for name, address in extra), *own, *peers]
    return "".join(f"{address}\t{' '.join(names)}\n" for address, names in entries)


def render_resolv_conf(host_resolv_conf: str, *, dns: Sequence[str] = (),
                       search: Sequence[str] = (), options: Sequence[str] = ()) -> str:
    """The host's resolvers minus loopback ones, which a container cannot reach;
    ``dns``, ``dns_search`` and ``dns_opt`` replace the host's lines of their kind,
    as Docker does."""
    kept = []
    for line in host_resolv_conf.splitlines():
        words = line.split()
        if not words or words[0].startswith(("#", ";")):
            continue
        if words[0] == "nameserver" and (
            dns or len(words) < 2 or words[1].startswith("127.") or words[1] == "::1"
        ):
            continue
        if words[0] in {"search", "domain"} and search:
            continue
        if words[0] == "options" and options:
            continue
        if words[0] in {"nameserver", "search", "options", "domain"}:
            kept.append(" ".join(words))
    kept += [f"nameserver {server}" for server in dns]
    if search:
        kept.append("search " + " ".join(search))
    if options:
        kept.append("options " + " ".join(options))
    return "\n".join(kept) + "\n" if kept else ""


def resolv_conf_for(settings: NetworkSettings, host_resolv_conf: str) -> str:
    """A container's ``/etc/resolv.conf``: with ``network_mode: host`` the host's own
    file (its loopback resolvers are reachable there)."""
    if settings.mode == "host":
        return host_resolv_conf
    return render_resolv_conf(host_resolv_conf, dns=settings.dns, search=settings.dns_search,
                              options=settings.dns_options)


EMBEDDED_DNS = "127.0.0.11"


def container_resolv_conf(settings: NetworkSettings, attached: bool,
                          host_resolv_conf: str) -> str:
    """What a container's ``/etc/resolv.conf`` says: the embedded DNS server for one
    on networks (``attached``), else ``resolv_conf_for``."""
    if settings.mode == "" and attached:
        return embedded_resolv_conf(settings, host_resolv_conf)
    return resolv_conf_for(settings, host_resolv_conf)


def embedded_resolv_conf(settings: NetworkSettings, host_resolv_conf: str) -> str:
    """``/etc/resolv.conf`` for a container whose resolver is the embedded DNS server
    on 127.0.0.11 (the ``dns:`` servers become its upstreams instead): the search
    domains and options of the service, else the host's, and ``ndots:0`` unless
    ``ndots`` is set, as Docker writes it."""
    search = list(settings.dns_search)
    options = list(settings.dns_options)
    for line in host_resolv_conf.splitlines():
        words = line.split()
        if words and words[0] in ("search", "domain") and not settings.dns_search:
            search += [w for w in words[1:] if w not in search]
        elif words and words[0] == "options" and not settings.dns_options:
            options += words[1:]
    if not any(o.startswith("ndots:") for o in options):
        options.append("ndots:0")
    lines = [f"nameserver {EMBEDDED_DNS}"]
    if search:
        lines.append("search " + " ".join(search))
    lines.append("options " + " ".join(options))
    return "\n".join(lines) + "\n"
