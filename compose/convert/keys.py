"""Which service keys the conversion expresses, and warnings for all the others.

A key not listed here is reported as ``services.<name>.<key>: cannot be expressed
in Kubernetes; ignored``, so nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.convert.base import Notes

EXPRESSED = frozenset({
    # workloads and containers
    "image", "build", "command", "entrypoint", "working_dir", "tty", "stdin_open",
    "restart", "scale", "deploy", "depends_on", "platform", "stop_grace_period", "stop_signal",
    "labels", "annotations", "pull_policy", "post_start", "pre_stop", "hostname",
    # names, networks, ports
    "networks", "ports", "expose", "container_name", "links", "network_mode",
    "dns", "dns_search", "dns_opt", "extra_hosts",
    # health, storage, configuration
    "healthcheck", "volumes", "volumes_from", "tmpfs", "shm_size", "environment", "env_file",
    "secrets", "configs",
    # resources and security
    "mem_limit", "mem_reservation", "cpus", "user", "cap_add", "cap_drop", "privileged",
    "read_only", "security_opt", "sysctls", "group_add",
    # Compose-only selection, nothing to run
    "profiles",
})
DEPLOY_EXPRESSED = frozenset({"replicas", "resources", "update_config", "restart_policy",
                              "labels", "mode", "placement"})


def unexpressed(service: str, config: Mapping[str, Any], notes: Notes) -> None:
    for key, value in config.items():
        if key.startswith("x-") or value in (None, False, "", [], {}):
            continue
        if key not in EXPRESSED:
            notes.warn(service, key, "cannot be expressed in Kubernetes; ignored")
    deploy = config.get("deploy") or {}
    for key, value in deploy.items():
        if key not in DEPLOY_EXPRESSED and value not in (None, "", [], {}):
            notes.warn(service, f"deploy.{key}", "cannot be expressed in Kubernetes; ignored")
    policy = deploy.get("restart_policy") or {}
    for key in ("delay", "window"):
        if policy.get(key):
            notes.warn(service, f"deploy.restart_policy.{key}", "Kubernetes backs off on its "
                                                                "own; ignored")
    if deploy.get("mode") not in (None, "", "replicated"):
        notes.warn(service, "deploy.mode", f"{deploy['mode']!r} is not converted (a DaemonSet "
                                           "would be); a Deployment is written")
