"""Loader's last phase: the typed, immutable model from the canonical form.

The canonical dict keeps everything the file says (for ``config``); the model
keeps what the engine acts on.  Keys the engine does not act on yet are
reported as warnings, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from common.durations import parse_duration
from compose.spec.load.hookbuild import HOOK_KEYS, service_hooks
from compose.spec.load.netbuild import (
    NETWORK_SERVICE_KEYS,
    network_warnings,
    project_networks,
    service_network_keys,
)
from compose.spec.load.runtimekeys import RUNTIME_SERVICE_KEYS, runtime_warnings
from compose.spec.load.storagebuild import (
    STORAGE_SERVICE_KEYS,
    STORAGE_TOP_LEVEL,
    project_volumes,
    service_files,
    service_mounts,
    volumes_from,
)
from compose.spec.model import Dependency, Project, Service, frozen_map
from compose.spec.sources import Sources

# Service keys the engine acts on today.
SUPPORTED_SERVICE_KEYS = frozenset({
    "image", "command", "entrypoint", "environment", "depends_on", "container_name",
    "hostname", "working_dir", "user", "stop_signal", "stop_grace_period", "labels",
    # the supervisor: restart policies, health checks (and autoheal via x-pycompose),
    # log rotation (max-size, max-file; other drivers and options warned in runtimekeys)
    "restart", "healthcheck", "logging",
    # the loader selects services by profile; `scale` is the service's replicas;
    # attached `up` leaves `attach: false` services' output alone
    "profiles", "scale", "attach",
    # images: pulled per policy, for the service's platform
    "pull_policy", "platform",
    # built from a Dockerfile by pycompose itself (compose/engine/building.py,
    # runtime/build/builder.py)
    "build",
    # run inside the container after each start and before each stop
    # (compose/engine/hooks.py)
    *HOOK_KEYS,
    # develop.watch: acted on by `watch` and `up --watch` (compose/engine/watching.py)
    "develop",
    *NETWORK_SERVICE_KEYS, *RUNTIME_SERVICE_KEYS, *STORAGE_SERVICE_KEYS,
})
_SUPPORTED_TOP_LEVEL = frozenset({"name", "services", "networks", "version",
                                  *STORAGE_TOP_LEVEL})
# build: keys pycompose's builder acts on (compose/engine/building.py)
SUPPORTED_BUILD_KEYS = frozenset({
    "context", "dockerfile", "dockerfile_inline", "args", "target", "labels", "tags",
    "no_cache", "pull", "network", "extra_hosts", "shm_size", "secrets", "platforms",
})


def _secret_files(canonical: Mapping[str, Any]) -> dict[str, str]:
    """Top-level secrets with a ``file:`` (what ``build.secrets`` can use)."""
    found = {}
    for name, value in (canonical.get("secrets") or {}).items():
        if isinstance(value, Mapping) and value.get("file"):
            found[name] = str(value["file"])
    return found


def unsupported(canonical: Mapping[str, Any]) -> list[str]:
    """Warnings for every key the engine ignores today."""
    warnings = []
    for key, value in canonical.items():
        if key not in _SUPPORTED_TOP_LEVEL and not key.startswith("x-") and value:
            warnings.append(f"top-level {key!r} is not supported yet and is ignored")
    for name, service in canonical.get("services", {}).items():
        for key, value in service.items():
            if key in SUPPORTED_SERVICE_KEYS or key.startswith("x-") or value is None:
                continue
            warnings.append(f"services.{name}.{key} is not supported yet and is ignored")
        build = service.get("build")
        if isinstance(build, Mapping):
            for key, value in build.items():
                if key not in SUPPORTED_BUILD_KEYS and value not in (None, [], {}, False, ""):
                    warnings.append(f"services.{name}.build.{key} is not supported yet "
                                    "and is ignored")
    return warnings + network_warnings(canonical) + runtime_warnings(canonical)


def build_project(
    canonical: Mapping[str, Any],
    *,
    working_dir: str,
    config_files: tuple[str, ...],
    sources: Sources,
    environ: Mapping[str, str] | None = None,
) -> Project:
    volumes = project_volumes(canonical)
    services = {
        name: _service(name, raw, sources, canonical["name"])
        for name, raw in canonical["services"].items()
    }
    services = {
        name: replace(service, mounts=service_mounts(service.canonical, volumes),
                      volumes_from=volumes_from(service.canonical),
                      files=service_files(service.canonical, canonical, environ or {}))
        for name, service in services.items()
    }
    networks = project_networks(canonical)
    return Project(
        name=canonical["name"],
        working_dir=working_dir,
        config_files=config_files,
        services=MappingProxyType(services),
        networks=MappingProxyType(networks),
        volumes=volumes,
        secret_files=MappingProxyType(_secret_files(canonical)),
    )


def _service(name: str, raw: Mapping[str, Any], sources: Sources, project: str) -> Service:
    where = ("services", name)
    # A built image is named <project>-<service>, as docker compose names it.
    image = raw.get("image") or f"{project}-{name}"
    grace = 10.0
    if raw.get("stop_grace_period") is not None:
        try:
            grace = parse_duration(raw["stop_grace_period"])
        except ValueError as exc:
            raise sources.error((*where, "stop_grace_period"), str(exc)) from None
    command = raw.get("command")
    entrypoint = raw.get("entrypoint")
    return Service(
        name=name,
        image=str(image),
        command=None if command is None else tuple(command),
        entrypoint=None if entrypoint is None else tuple(entrypoint),
        environment=frozen_map(
            (k, v) for k, v in (raw.get("environment") or {}).items() if v is not None),
        depends_on=MappingProxyType({
            dep: Dependency(entry.get("condition", "service_started"),
                            entry.get("required", True), entry.get("restart", False))
            for dep, entry in (raw.get("depends_on") or {}).items()
        }),
        container_name=raw.get("container_name"),
        hostname=raw.get("hostname"),
        working_dir=raw.get("working_dir"),
        user=None if raw.get("user") is None else str(raw["user"]),
        stop_signal=raw.get("stop_signal"),
        stop_grace_period=grace,
        labels=frozen_map(raw.get("labels") or {}),
        networks=service_network_keys(raw),
        post_start=service_hooks(raw, "post_start"),
        pre_stop=service_hooks(raw, "pre_stop"),
        canonical=MappingProxyType(dict(raw)),
    )
