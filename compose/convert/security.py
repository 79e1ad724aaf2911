"""Resources and the security context.

- ``mem_limit``/``cpus`` and ``deploy.resources.limits`` become ``limits``;
  ``mem_reservation`` and ``deploy.resources.reservations`` become ``requests``;
  a device request for N NVIDIA GPUs becomes ``nvidia.com/gpu: N`` (a limit, as
  Kubernetes requests extended resources);
- ``user`` (numeric ``uid[:gid]``) becomes ``runAsUser``/``runAsGroup``;
  ``cap_add``/``cap_drop`` the capabilities (without ``CAP_``), ``privileged``
  and ``read_only`` the matching fields, ``security_opt: no-new-privileges``
  ``allowPrivilegeEscalation: false``; ``sysctls`` the pod's sysctls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.convert.base import Notes


def _cpu(value: Any) -> str:
    millis = round(float(value) * 1000)
    return f"{millis // 1000}" if millis % 1000 == 0 else f"{millis}m"


def resources(service: str, config: Mapping[str, Any], notes: Notes) -> dict[str, Any]:
    limits: dict[str, str] = {}
    requests: dict[str, str] = {}
    if config.get("mem_limit"):
        limits["memory"] = str(config["mem_limit"])
    if config.get("cpus"):
        limits["cpu"] = _cpu(config["cpus"])
    if config.get("mem_reservation"):
        requests["memory"] = str(config["mem_reservation"])
    deploy_resources = (config.get("deploy") or {}).get("resources") or {}
    for part, target in (("limits", limits), ("reservations", requests)):
        entry = deploy_resources.get(part) or {}
        if entry.get("memory"):
            target["memory"] = str(entry["memory"])
        if entry.get("cpus"):
            target["cpu"] = _cpu(entry["cpus"])
        for device_index, device in enumerate(entry.get("devices") or []):
            gpu = _gpu(device)
            if gpu is None:
                notes.warn(service, f"deploy.resources.{part}.devices[{device_index}]",
                           "only NVIDIA GPUs with a count can be requested; ignored")
            else:  # extended resources are requested by their limit
                limits["nvidia.com/gpu"] = str(gpu)
        for key in ("pids", "generic_resources"):
            if entry.get(key):
                notes.warn(service, f"deploy.resources.{part}.{key}",
                           "cannot be expressed as container resources; ignored")
    result: dict[str, Any] = {}
    if limits:
        result["limits"] = limits
    if requests:
        result["requests"] = requests
    return {"resources": result} if result else {}


def _gpu(device: Mapping[str, Any]) -> int | None:
    """How many NVIDIA GPUs a device request asks for, if that is what it is."""
    if "gpu" not in (device.get("capabilities") or []):
        return None
    if device.get("driver") not in (None, "", "nvidia") or device.get("device_ids"):
        return None
    count = device.get("count")
    return int(count) if count not in (None, -1) and int(count) > 0 else None


def _capability(name: str) -> str:
    name = str(name).upper()
    return name[4:] if name.startswith("CAP_") else name


def container_security(service: str, config: Mapping[str, Any],
                       notes: Notes) -> dict[str, Any]:
    context: dict[str, Any] = {}
    user = config.get("user")
    if user:
        uid, _, gid = str(user).partition(":")
        if uid.isdigit() and (not gid or gid.isdigit()):
            context["runAsUser"] = int(uid)
            if gid:
                context["runAsGroup"] = int(gid)
        else:
            notes.warn(service, "user", f"{user!r}: Kubernetes takes numeric ids only; "
                                        "the image's user is kept")
    capabilities: dict[str, list[str]] = {}
    if config.get("cap_add"):
        capabilities["add"] = [_capability(c) for c in config["cap_add"]]
    if config.get("cap_drop"):
        capabilities["drop"] = [_capability(c) for c in config["cap_drop"]]
    if capabilities:
        context["capabilities"] = capabilities
    if config.get("privileged"):
        context["privileged"] = True
    if config.get("read_only"):
        context["readOnlyRootFilesystem"] = True
    for option in config.get("security_opt") or []:
        text = str(option).replace("=", ":")
        if text in ("no-new-privileges", "no-new-privileges:true"):
            context["allowPrivilegeEscalation"] = False
        elif text == "no-new-privileges:false":
            continue
        else:
            notes.warn(service, "security_opt", f"{option!r} cannot be expressed; ignored")
    return {"securityContext": context} if context else {}


def pod_security(service: str, config: Mapping[str, Any], notes: Notes) -> dict[str, Any]:
    """Pod-level fields: sysctls and supplementary groups."""
    context: dict[str, Any] = {}
    sysctls = config.get("sysctls") or {}
    if sysctls:
        context["sysctls"] = [{"name": k, "value": str(v)} for k, v in sorted(sysctls.items())]
    groups = config.get("group_add") or []
    if groups:
        numeric = [int(g) for g in groups if str(g).isdigit()]
        if len(numeric) != len(groups):
            notes.warn(service, "group_add", "Kubernetes takes numeric group ids only; "
                                             "names are ignored")
        if numeric:
            context["supplementalGroups"] = numeric
    return {"securityContext": context} if context else {}
