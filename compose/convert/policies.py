"""Compose networks as ``NetworkPolicy`` objects.

Every pod carries a label per Compose network it joins
(``network.pycompose.io/<network>: "true"``).  Each service gets a policy
selecting its pods that admits traffic from pods sharing one of its networks,
and on its published ports from anywhere; nothing else reaches it, as two
Compose networks do not see each other.  ``network_mode: none`` admits nothing.
Policies are additive, so a service on two networks hears from both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.convert.base import (
    NETWORK_LABEL_PREFIX,
    PART_OF,
    ConvertOptions,
    Manifest,
    Notes,
    obj,
)
from compose.convert.names import dns_label


def network_label(network: str) -> str:
    return f"{NETWORK_LABEL_PREFIX}{dns_label(network)}"


def policy(service: str, config: Mapping[str, Any], project: str, options: ConvertOptions,
           selector: Mapping[str, str]) -> Manifest:
    networks = sorted((config.get("networks") or {}).keys())
    ingress: list[dict[str, Any]] = []
    if networks and config.get("network_mode") != "none":
        ingress.append({"from": [{"podSelector": {"matchLabels": {
            PART_OF: project, network_label(n): "true"}}} for n in networks]})
        published = sorted({(int(p["target"]), str(p.get("protocol") or "tcp").upper())
                            for p in config.get("ports") or []})
        if published:
            ingress.append({"ports": [{"port": port, "protocol": protocol}
                                      for port, protocol in published]})
    result = obj("networking.k8s.io/v1", "NetworkPolicy", dns_label(service), project, options,
                 {"pycompose.io/service": dns_label(service)})
    result["spec"] = {"podSelector": {"matchLabels": dict(selector)},
                      "policyTypes": ["Ingress"], "ingress": ingress}
    return result


def network_warnings(canonical: Mapping[str, Any], notes: Notes) -> None:
    for key, network in sorted((canonical.get("networks") or {}).items()):
        where = f"networks.{key}"
        if network.get("internal"):
            notes.warn(None, f"{where}.internal", "outgoing traffic is not restricted "
                                                  "(no egress policy is written)")
        if network.get("driver") not in (None, "", "bridge"):
            notes.warn(None, f"{where}.driver", f"{network['driver']!r} has no Kubernetes "
                                                "equivalent; the cluster network is used")
        for option in ("ipam", "driver_opts", "enable_ipv6"):
            if network.get(option):
                notes.warn(None, f"{where}.{option}", "cannot be expressed; the cluster's "
                                                      "pod network decides")
