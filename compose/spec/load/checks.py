"""Loader phase: what the schema cannot say (undefined references, cycles)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.spec.graph import DependencyCycle, start_order
from compose.spec.sources import Sources


def check_project(canonical: Mapping[str, Any], declared: Mapping[str, Any],
                  sources: Sources) -> None:
    """docker compose's consistency checks (``config --no-consistency`` skips them).

    ``declared`` is the merged file before canonicalisation, which still lists the
    top-level resources no service uses."""
    services = canonical.get("services", {})
    check_references(services, declared, sources)
    check_container_names(services, sources)
    check_secrets(declared, sources)
    for name, service in services.items():
        check_mount_targets(name, service, sources)
        check_build(name, service, services, declared, sources)
        check_limits(name, service, sources)
        if service.get("network_mode") and service.get("networks"):
            raise sources.error(("services", name, "network_mode"),
                                f"service {name} declares mutually exclusive `network_mode` "
                                "and `networks`")
        if not service.get("image") and service.get("build") is None \
                and service.get("provider") is None:
            raise sources.error(
                ("services", name),
                f"service {name!r} has neither an image nor a build context specified")
        for dep, entry in (service.get("depends_on") or {}).items():
            if dep not in services and entry.get("required", True):
                raise sources.error(
                    ("services", name, "depends_on", dep),
                    f"service {name!r} depends on undefined service {dep!r}",
                )
    graph = {
        name: tuple(d for d in (s.get("depends_on") or {}) if d in services)
        for name, s in services.items()
    }
    try:
        start_order(graph)
    except DependencyCycle as exc:
        raise sources.error(("services", exc.cycle[0], "depends_on"), str(exc)) from None


def check_references(services: Mapping[str, Any], declared: Mapping[str, Any],
                     sources: Sources) -> None:
    """Every network, named volume, secret and config a service uses is declared."""
    for name, service in services.items():
        for network in service.get("networks") or {}:
            if network != "default" and network not in (declared.get("networks") or {}):
                raise sources.error(("services", name, "networks"),
                                    f"service {name!r} refers to undefined network {network!r}")
        for index, mount in enumerate(service.get("volumes") or []):
            source = mount.get("source")
            if mount.get("type") == "volume" and source and \
                    source not in (declared.get("volumes") or {}):
                raise sources.error(("services", name, "volumes", index),
                                    f"service {name!r} refers to undefined volume {source!r}")
        for kind in ("secrets", "configs"):
            for index, grant in enumerate(service.get(kind) or []):
                source = grant.get("source")
                if source not in (declared.get(kind) or {}):
                    raise sources.error(
                        ("services", name, kind, index),
                        f"service {name!r} refers to undefined {kind[:-1]} {source!r}")


def check_container_names(services: Mapping[str, Any], sources: Sources) -> None:
    owners: dict[str, str] = {}
    for name, service in services.items():
        container = service.get("container_name")
        if not container:
            continue
        if container in owners:
            raise sources.error(
                ("services", name, "container_name"),
                f"container name {container!r} is already in use by service "
                f"{owners[container]!r}")
        owners[container] = name


def check_secrets(declared: Mapping[str, Any], sources: Sources) -> None:
    """A secret that is not external comes from a file or an environment variable
    (unlike a config, a secret cannot be ``content``, nor come from a driver here)."""
    for name, secret in (declared.get("secrets") or {}).items():
        secret = secret or {}
        if not secret.get("external") and not secret.get("file") \
                and not secret.get("environment"):
            raise sources.error(("secrets", name),
                                f"secret {name!r} must declare either `file` or `environment`")


def check_mount_targets(name: str, service: Mapping[str, Any], sources: Sources) -> None:
    """Two mounts (tmpfs first, then volumes, each after merging) on one target."""
    mounted: dict[str, str] = {}
    tmpfs = service.get("tmpfs") or []
    for index, entry in enumerate([tmpfs] if isinstance(tmpfs, str) else tmpfs):
        target = str(entry).partition(":")[0]
        where = f"services.{name}.tmpfs[{index}]"
        if target in mounted:
            raise sources.error(("services", name, "tmpfs", index),
                                f"target {target} already mounted as {mounted[target]}")
        mounted[target] = where
    for index, mount in enumerate(service.get("volumes") or []):
        target = mount.get("target", "")
        if target in mounted:
            raise sources.error(("services", name, "volumes", index),
                                f"target {target} already mounted as {mounted[target]}")
        mounted[target] = f"services.{name}.volumes[{index}]"


def check_build(name: str, service: Mapping[str, Any], services: Mapping[str, Any],
                declared: Mapping[str, Any], sources: Sources) -> None:
    """compose-go's checks of a service's build, health check and network mode."""
    where = ("services", name)
    build = service.get("build")
    if isinstance(build, Mapping):
        if build.get("dockerfile_inline") and build.get("dockerfile"):
            raise sources.error((*where, "build"), f"service {name!r} declares mutually "
                                                   "exclusive dockerfile and dockerfile_inline")
        for key, context in (build.get("additional_contexts") or {}).items():
            if not str(context).startswith("service:"):
                continue
            other = str(context)[len("service:"):]
            if other not in services:
                raise sources.error((*where, "build", "additional_contexts", key),
                                    f"service {name!r} declares unknown service {other!r} "
                                    f"as additional contexts {key}")
            if services[other].get("build") is None:
                raise sources.error((*where, "build", "additional_contexts", key),
                                    f"service {name!r} declares non-buildable service "
                                    f"{other!r} as additional contexts {key}")
        platforms = build.get("platforms") or []
        if platforms and service.get("platform") and service["platform"] not in platforms:
            raise sources.error((*where, "platform"), "service.build.platforms MUST include "
                                                      f"service.platform {service['platform']!r}")
        for index, secret in enumerate(build.get("secrets") or []):
            if secret.get("source") not in (declared.get("secrets") or {}):
                raise sources.error((*where, "build", "secrets", index),
                                    f"service {name!r} refers to undefined build secret "
                                    f"{secret.get('source')}")
    test = (service.get("healthcheck") or {}).get("test")
    if isinstance(test, list) and test and test[0] not in ("CMD", "CMD-SHELL", "NONE"):
        raise sources.error((*where, "healthcheck", "test"),
                            'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"')
    for index, watch in enumerate((service.get("develop") or {}).get("watch") or []):
        if not watch.get("target") and watch.get("action") not in ("rebuild", "restart"):
            raise sources.error((*where, "develop", "watch", index),
                                "target is required for non-rebuild actions")


# (service key, deploy.resources path): one value given twice must agree
_SAME_LIMITS = (("cpus", ("limits", "cpus")), ("mem_limit", ("limits", "memory")),
                ("mem_reservation", ("reservations", "memory")),
                ("pids_limit", ("limits", "pids")))


def check_limits(name: str, service: Mapping[str, Any], sources: Sources) -> None:
    """Replicas and resource limits given both at the top of a service and under
    ``deploy`` must agree; a scale is not negative; a fixed container name allows
    one replica (compose-go's wording, its argument order included)."""
    where = ("services", name)
    deploy = service.get("deploy") or {}
    scale, replicas = service.get("scale"), deploy.get("replicas")
    if scale is not None and replicas is not None and scale != replicas:
        raise sources.error((*where, "scale"), "can't set distinct values on 'scale' and "
                                               "'deploy.replicas'")
    for key, value in (("scale", scale), ("deploy.replicas", replicas)):
        if value is not None and value < 0:
            raise sources.error(where, f"{key}: must be greater than or equal to 0")
    resources = deploy.get("resources") or {}
    for key, (section, field) in _SAME_LIMITS:
        given, under = service.get(key), (resources.get(section) or {}).get(field)
        if given not in (None, 0, "0") and under is not None and \
                str(float(given)) != str(float(under)):
            raise sources.error((*where, key), f"can't set distinct values on '{key}' and "
                                               f"'deploy.resources.{section}.{field}'")
    count = scale if scale is not None else replicas if replicas is not None else 1
    if count > 1 and service.get("container_name"):
        attr = "scale" if scale is not None else "deploy.replicas"
        raise sources.error((*where, "container_name"),
                            f"can't set container_name and {attr} as container name must "
                            "be unique")
