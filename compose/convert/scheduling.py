"""Where pods may run: ``platform`` and ``deploy.placement.constraints``.

- ``platform: linux/arm64`` selects nodes labelled ``kubernetes.io/os: linux`` and
  ``kubernetes.io/arch: arm64``;
- ``node.labels.<key> == <value>`` and ``node.hostname == <name>`` select nodes
  (``nodeSelector``); ``!=`` excludes them (a required node affinity, ``NotIn``);
- other constraints (``node.role``, ``node.id``, ``engine.labels``...) and
  placement preferences have no Kubernetes counterpart and are warned about.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compose.convert.base import Notes

_CONSTRAINT = re.compile(r"\s*([\w.\-/]+)\s*(==|!=)\s*(\S.*?)\s*")


def _node_label(subject: str) -> str | None:
    if subject.startswith("node.labels."):
        return subject.removeprefix("node.labels.")
    if subject == "node.hostname":
        return "kubernetes.io/hostname"
    if subject == "node.platform.os":
        return "kubernetes.io/os"
    if subject == "node.platform.arch":
        return "kubernetes.io/arch"
    return None


def scheduling(service: str, config: Mapping[str, Any], notes: Notes) -> dict[str, Any]:
    selector: dict[str, str] = {}
    excluded: list[dict[str, Any]] = []
    platform = config.get("platform")
    if platform:
        os_name, _, arch = str(platform).partition("/")
        selector["kubernetes.io/os"] = os_name
        if arch:
            selector["kubernetes.io/arch"] = arch.split("/")[0]
            if "/" in arch:
                notes.warn(service, "platform", f"{platform}: the variant cannot be selected")
    placement = (config.get("deploy") or {}).get("placement") or {}
    for index, constraint in enumerate(placement.get("constraints") or []):
        where = f"deploy.placement.constraints[{index}]"
        match = _CONSTRAINT.fullmatch(str(constraint))
        label = _node_label(match.group(1)) if match else None
        if match is None or label is None:
            notes.warn(service, where, f"{constraint!r} cannot be expressed; ignored")
            continue
        if match.group(2) == "==":
            selector[label] = match.group(3)
        else:
            excluded.append({"key": label, "operator": "NotIn", "values": [match.group(3)]})
    if placement.get("preferences"):
        notes.warn(service, "deploy.placement.preferences", "cannot be expressed; ignored")
    if placement.get("max_replicas_per_node"):
        notes.warn(service, "deploy.placement.max_replicas_per_node", "cannot be expressed "
                                                                      "(a topology spread "
                                                                      "would only skew); "
                                                                      "ignored")
    result: dict[str, Any] = {}
    if selector:
        result["nodeSelector"] = selector
    if excluded:
        result["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                                               {"nodeSelectorTerms": [
                                                   {"matchExpressions": excluded}]}}}
    return result
