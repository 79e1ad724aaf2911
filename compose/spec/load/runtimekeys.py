"""The loader's runtime part: the process, security and resource keys the
container runtime acts on, and warnings for values of them it ignores (pure).

What depends on the host (a clamped rlimit, a capability the host lacks) is
warned about when the container is created, by the runtime itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RUNTIME_SERVICE_KEYS = frozenset({
    "annotations", "blkio_config", "cap_add", "cap_drop", "cgroup", "cgroup_parent",
    "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpus",
    "cpuset", "deploy", "device_cgroup_rules", "devices", "domainname", "group_add", "init",
    "ipc", "mem_limit", "mem_reservation", "mem_swappiness", "memswap_limit",
    "oom_kill_disable", "oom_score_adj", "pid", "pids_limit", "privileged", "read_only",
    "runtime", "security_opt", "shm_size", "stdin_open", "sysctls", "tmpfs", "tty", "ulimits",
    "userns_mode", "uts",
})

# logging: conmon keeps every container's output in files (read by ``logs``); these
# drivers are file drivers, and these options are what the supervisor acts on.
_FILE_DRIVERS = {"json-file", "local", "k8s-file"}
_LOG_OPTIONS = {"max-size", "max-file"}

# deploy keys and what becomes of them.
# replicas: the service's scale (planning/plan.py); update_config: rolling updates
# (planning/rollout.py); restart_policy: the supervisor; resources: cgroup limits
_DEPLOY_HONOURED = {"resources", "restart_policy", "replicas", "update_config"}
_SWARM_ONLY = {"mode", "endpoint_mode", "placement", "rollback_config",
               "labels"}
_LIMITS = {"cpus", "memory", "pids"}
_RESERVATIONS = {"memory"}


def _security_opt_warnings(where: str, entries: Any) -> list[str]:
    warnings = []
    for raw in entries or ():
        opt = str(raw)
        key = opt.partition("=")[0] if "=" in opt else opt.partition(":")[0]
        if key in ("no-new-privileges", "seccomp"):
            continue
        if opt == "systempaths=unconfined":
            continue
        warnings.append(f"{where}.security_opt: {opt!r} is not supported and is ignored")
    return warnings


def _deploy_warnings(where: str, deploy: Mapping[str, Any]) -> list[str]:
    warnings = []
    for key, value in deploy.items():
        if value in (None, {}, []) or key in _DEPLOY_HONOURED:
            continue
        if key in _SWARM_ONLY:
            warnings.append(f"{where}.deploy.{key} only applies to Swarm and is ignored")
        else:
            warnings.append(f"{where}.deploy.{key} is not supported yet and is ignored")
    resources = deploy.get("resources") or {}
    for key, value in resources.items():
        if key not in ("limits", "reservations"):
            warnings.append(f"{where}.deploy.resources.{key} is not supported and is ignored")
            continue
        allowed = _LIMITS if key == "limits" else _RESERVATIONS
        for sub, item in (value or {}).items():
            if sub in allowed or item in (None, [], {}):
                continue
            reason = "is a Swarm option" if (key, sub) == ("reservations", "cpus") \
                else "is not supported yet"
            warnings.append(f"{where}.deploy.resources.{key}.{sub} {reason} and is ignored")
    return warnings


def _logging_warnings(where: str, logging: Any) -> list[str]:
    if not isinstance(logging, Mapping):
        return []
    warnings = []
    driver = logging.get("driver")
    if driver and driver not in _FILE_DRIVERS:
        warnings.append(f"{where}.logging.driver {driver!r} is not supported; the output "
                        "is kept in files that `logs` reads")
    for key in logging.get("options") or {}:
        if key not in _LOG_OPTIONS:
            warnings.append(f"{where}.logging.options.{key} is not supported yet and is ignored")
    return warnings


def runtime_warnings(canonical: Mapping[str, Any]) -> list[str]:
    """Warnings for values of runtime keys that the engine does not act on."""
    warnings: list[str] = []
    for name, service in (canonical.get("services") or {}).items():
        where = f"services.{name}"
        warnings += _security_opt_warnings(where, service.get("security_opt"))
        warnings += _logging_warnings(where, service.get("logging"))
        if service.get("deploy"):
            warnings += _deploy_warnings(where, service["deploy"])
        mode = service.get("userns_mode")
        if mode and mode != "host":
            warnings.append(f"{where}.userns_mode {mode!r} is not supported; the container "
                            "shares the host's user namespace")
    return warnings
