"""Kubernetes Services: the names peers use, and the published ports.

- every service gets a headless Service named after it (``clusterIP: None``)
  listing its container ports (``ports`` targets and ``expose``): its name then
  resolves, as under Compose, to the addresses of its ready pods, even when it has
  no ports at all; peers connect to container ports, as on a Compose network;
- network ``aliases``, ``links`` aliases and ``container_name`` get the same
  Service under their own name;
- published ``ports`` get ``<service>-published`` (``ClusterIP`` by default,
  ``LoadBalancer`` or ``NodePort`` on request), ``port`` the published port and
  ``targetPort`` the container's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.convert.base import ConvertOptions, Manifest, Notes, obj
from compose.convert.names import child, dns_label

NODE_PORTS = range(30000, 32768)
MAX_RANGE = 100


def _port_name(port: int, protocol: str) -> str:
    return f"{protocol.lower()}-{port}"


def _expose_ports(service: str, entry: str, notes: Notes) -> list[tuple[int, str]]:
    text, _, protocol = entry.partition("/")
    first, _, last = text.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        notes.warn(service, "expose", f"{entry!r} is not a port; ignored")
        return []
    if high - low >= MAX_RANGE:
        notes.warn(service, "expose", f"range {entry} is too long to list; ignored")
        return []
    return [(port, (protocol or "tcp").upper()) for port in range(low, high + 1)]


def container_ports(service: str, config: Mapping[str, Any],
                    notes: Notes) -> list[tuple[int, str]]:
    """(port, protocol) the container listens on, in order, once each."""
    found: list[tuple[int, str]] = []
    for port in config.get("ports") or []:
        found.append((int(port["target"]), str(port.get("protocol") or "tcp").upper()))
    for entry in config.get("expose") or []:
        found.extend(_expose_ports(service, str(entry), notes))
    return list(dict.fromkeys(found))


def _service(name: str, project: str, options: ConvertOptions, selector: Mapping[str, str],
             spec: dict[str, Any], service: str) -> Manifest:
    result = obj("v1", "Service", name, project, options, {"pycompose.io/service": service})
    result["spec"] = {"selector": dict(selector), **spec}
    return result


def peer_spec(ports: list[tuple[int, str]]) -> dict[str, Any]:
    spec: dict[str, Any] = {"clusterIP": "None"}
    if ports:
        spec["ports"] = [{"name": _port_name(p, proto), "port": p, "targetPort": p,
                          "protocol": proto} for p, proto in ports]
    return spec


def published_service(service: str, config: Mapping[str, Any], project: str,
                      options: ConvertOptions, selector: Mapping[str, str],
                      notes: Notes) -> Manifest | None:
    ports: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for index, port in enumerate(config.get("ports") or []):
        where = f"ports[{index}]"
        target = int(port["target"])
        protocol = str(port.get("protocol") or "tcp").upper()
        published_text = str(port.get("published") or "")
        if port.get("host_ip") and port["host_ip"] not in ("0.0.0.0", "::"):
            notes.warn(service, f"{where}.host_ip", f"{port['host_ip']}: a Service cannot be "
                                                    "bound to one host address; ignored")
        if "-" in published_text:
            notes.warn(service, f"{where}.published", f"range {published_text} cannot be "
                                                      "published; the container port is used")
            published_text = ""
        published = int(published_text) if published_text else target
        if (published, protocol) in seen:
            notes.warn(service, where, f"{published}/{protocol} is published twice; "
                                       "the first is kept")
            continue
        seen.add((published, protocol))
        entry: dict[str, Any] = {"name": _port_name(published, protocol), "port": published,
                                 "targetPort": target, "protocol": protocol}
        if options.service_type == "NodePort" and published_text:
            if published in NODE_PORTS:
                entry["nodePort"] = published
            else:
                notes.warn(service, f"{where}.published", f"{published} is outside the "
                                                          "NodePort range (30000-32767); "
                                                          "Kubernetes picks the node port")
        ports.append(entry)
    if not ports:
        return None
    if options.service_type == "ClusterIP":
        notes.warn(service, "ports", f"published ports are reachable in the cluster through "
                                     f"Service {child(dns_label(service), 'published')!r}; "
                                     "use --service-type LoadBalancer or NodePort, or kubectl "
                                     "port-forward, to reach them from outside")
    return _service(child(dns_label(service), "published"), project, options, selector,
                    {"type": options.service_type, "ports": ports}, dns_label(service))


def aliases(service: str, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(alias, key) for every other name the service answers to on its networks."""
    found: list[tuple[str, str]] = []
    for network, attachment in (config.get("networks") or {}).items():
        for alias in (attachment or {}).get("aliases") or []:
            found.append((str(alias), f"networks.{network}.aliases"))
    if config.get("container_name"):
        found.append((str(config["container_name"]), "container_name"))
    return found


def link_aliases(services: Mapping[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """Per linked service, (alias, linking service, key) from ``links: [svc:alias]``."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for name, config in services.items():
        for link in config.get("links") or []:
            target, _, alias = str(link).partition(":")
            if alias and alias != target:
                found.setdefault(target, []).append((alias, name, "links"))
    return found
