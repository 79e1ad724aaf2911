"""The loader's network part: ``Project.networks`` from the canonical form, and a
warning for every network key the engine does not act on (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from compose.spec.model import DEFAULT_NETWORK, IpamConfig, Network, frozen_map

NETWORK_SERVICE_KEYS = frozenset({
    "networks", "network_mode", "ports", "expose", "links", "external_links", "dns",
    "dns_search", "dns_opt", "extra_hosts", "mac_address",
})
MTU = "com.docker.network.driver.mtu"
BRIDGE_NAME = "com.docker.network.bridge.name"
MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade"
DRIVER_OPTS = frozenset({MTU, BRIDGE_NAME, MASQUERADE})
_ENDPOINT_KEYS = frozenset({
    "aliases", "ipv4_address", "ipv6_address", "mac_address", "priority", "gw_priority",
})


def service_network_keys(service: Mapping[str, Any]) -> tuple[str, ...]:
    """The networks a service's container joins, in interface order (``priority``
    first).  ``network_mode: bridge`` is the project's default network; any other
    mode joins no network of the project."""
    mode = service.get("network_mode")
    if mode == "bridge":
        return (DEFAULT_NETWORK,)
    if mode:
        return ()
    networks = service.get("networks") or {}
    return tuple(sorted(networks, key=lambda k: -int((networks[k] or {}).get("priority") or 0)))


def project_networks(canonical: Mapping[str, Any]) -> Mapping[str, Network]:
    declared = dict(canonical.get("networks") or {})
    uses_bridge = any(s.get("network_mode") == "bridge"
                      for s in (canonical.get("services") or {}).values())
    if uses_bridge and DEFAULT_NETWORK not in declared:
        declared[DEFAULT_NETWORK] = {"name": f"{canonical['name']}_{DEFAULT_NETWORK}"}
    return MappingProxyType({
        key: _network(str(key), raw or {}, str(canonical["name"]))
        for key, raw in declared.items()
    })


def _network(key: str, raw: Mapping[str, Any], project: str) -> Network:
    ipam = raw.get("ipam") or {}
    return Network(
        key=key,
        name=str(raw.get("name") or f"{project}_{key}"),
        external=bool(raw.get("external")),
        internal=bool(raw.get("internal")),
        enable_ipv6=bool(raw.get("enable_ipv6")),
        attachable=bool(raw.get("attachable")),
        labels=frozen_map((str(k), str(v)) for k, v in (raw.get("labels") or {}).items()),
        driver_opts=frozen_map(
            (str(k), str(v)) for k, v in (raw.get("driver_opts") or {}).items()),
        ipam=tuple(
            IpamConfig(
                subnet=entry.get("subnet"), gateway=entry.get("gateway"),
                ip_range=entry.get("ip_range"),
                aux_addresses=frozen_map(
                    (str(k), str(v)) for k, v in (entry.get("aux_addresses") or {}).items()),
            )
            for entry in ipam.get("config") or ()
        ),
    )


def network_warnings(canonical: Mapping[str, Any]) -> list[str]:
    """Network keys that are accepted but not acted on."""
    warnings = []
    for key, raw in (canonical.get("networks") or {}).items():
        raw = raw or {}
        where = f"networks.{key}"
        if raw.get("external"):
            continue
        driver = raw.get("driver")
        if driver not in (None, "", "bridge"):
            warnings.append(f"{where}.driver {driver!r} is not supported; a bridge is made "
                            "instead")
        for option in sorted(set(raw.get("driver_opts") or {}) - DRIVER_OPTS):
            warnings.append(f"{where}.driver_opts.{option} is not supported yet and is ignored")
        ipam_driver = (raw.get("ipam") or {}).get("driver")
        if ipam_driver not in (None, "", "default"):
            warnings.append(f"{where}.ipam.driver {ipam_driver!r} is not supported; the "
                            "default address management is used")
        if raw.get("enable_ipv4") is False:
            warnings.append(f"{where}.enable_ipv4: false is not supported yet; the network "
                            "gets IPv4 addresses")
    for name, service in (canonical.get("services") or {}).items():
        mode = service.get("network_mode")
        if mode in ("host", "none") and service.get("ports"):
            warnings.append(f"services.{name}.ports: published ports are discarded with "
                            f"network_mode: {mode}")
        for network, endpoint in (service.get("networks") or {}).items():
            for option in sorted(set(endpoint or {}) - _ENDPOINT_KEYS):
                warnings.append(f"services.{name}.networks.{network}.{option} is not "
                                "supported yet and is ignored")
    return warnings
