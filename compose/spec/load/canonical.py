"""Loader phase: the canonical form of a merged project, as ``docker compose config``
prints it.

Every value is decoded into docker compose's typed model (``servicemodel``,
``resourcemodel``): short syntaxes become long ones, relative paths absolute,
``env_file``/``label_file`` are folded into ``environment``/``labels``, implicit
dependencies and the ``default`` network are added, resources get their names,
and the top-level resources no service uses are dropped.  Input and output are
plain data; the engine's typed model is built from the output (``build.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compose.spec.golang.environment import EnvFileError, service_environment, service_labels
from compose.spec.golang.resources import KINDS, canonical_resource
from compose.spec.golang.service import SERVICE
from compose.spec.golang.structs import Context, ConversionError, GoMap, go_map, sort_maps
from compose.spec.sources import Sources

# Top-level keys in the order docker compose prints them.
TOP_LEVEL = ("name", "services", "networks", "volumes", "secrets", "configs", "models")
_NAMESPACES = ("network_mode", "ipc", "pid", "uts", "cgroup")


def canonicalize(
    data: Mapping[str, Any],
    *,
    project_name: str,
    working_dir: str,
    environ: Mapping[str, str],
    sources: Sources,
    warn: Callable[[str], None] | None = None,
    resolve_paths: bool = True,
) -> dict[str, Any]:
    ctx = Context(working_dir, environ, resolve_paths)
    services = go_map(
        (str(name), canonical_service(str(name), raw or {}, ctx, sources))
        for name, raw in (data.get("services") or {}).items()
    )
    result: dict[str, Any] = {"name": project_name, "services": services}
    used = used_resources(services)
    for kind in KINDS:
        declared = dict(data.get(kind) or {})
        if kind == "networks" and "default" in used[kind]:
            declared.setdefault("default", None)
        resources = GoMap()
        for key in sorted(k for k in declared if k in used[kind]):
            try:
                resources[key] = canonical_resource(kind, key, declared[key], project_name, ctx,
                                                    warn or (lambda _: None))
            except ConversionError as exc:
                raise sources.error((kind, key, *exc.path), exc.message) from None
        if resources:
            result[kind] = resources
    result.update((k, sort_maps(v)) for k, v in data.items() if str(k).startswith("x-"))
    return result


def canonical_service(name: str, raw: Mapping[str, Any], ctx: Context,
                      sources: Sources) -> dict[str, Any]:
    where = ("services", name)
    service = {k: v for k, v in raw.items()
               if k not in {"env_file", "label_file", "extends", "environment", "labels"}}
    try:
        environment = service_environment(raw, ctx.working_dir, ctx.environ)
    except EnvFileError as exc:
        raise sources.error((*where, "env_file"), str(exc)) from None
    try:
        labels = service_labels(raw, ctx.working_dir, ctx.environ)
    except EnvFileError as exc:
        raise sources.error((*where, "label_file"), str(exc)) from None
    if environment:
        service["environment"] = environment
    if labels:
        service["labels"] = labels
    try:
        result: dict[str, Any] = SERVICE(service, ctx)
    except ConversionError as exc:
        raise sources.error((*where, *exc.path), exc.message) from None
    implicit_dependencies(result)
    if not result.get("networks") and not result.get("network_mode") \
            and not result.get("provider"):
        result["networks"] = GoMap(default=None)
    return dict(sorted(result.items(), key=lambda item: _position(item[0])))


def _position(key: str) -> int:
    """Where ``key`` sits in docker compose's service struct (``x-`` keys last)."""
    order = [f.key for f in SERVICE.fields]
    return order.index(key) if key in order else len(order)


def implicit_dependencies(service: dict[str, Any]) -> None:
    """``links``, ``service:`` namespaces and ``volumes_from`` imply ``depends_on``
    entries (``restart: true`` except for ``volumes_from``); explicit ones win."""
    implied: list[tuple[str, bool]] = []
    implied += [(link.split(":")[0], True) for link in service.get("links") or []]
    for key in _NAMESPACES:
        value = service.get(key) or ""
        if value.startswith("service:"):
            implied.append((value[len("service:"):], True))
    for source in service.get("volumes_from") or []:
        if not source.startswith("container:"):
            implied.append((source.split(":")[0], False))
    if not implied:
        return
    depends_on = dict(service.get("depends_on") or {})
    for dependency, restart in implied:
        if dependency not in depends_on:
            entry: dict[str, Any] = {"condition": "service_started"}
            if restart:
                entry["restart"] = True
            entry["required"] = True
            depends_on[dependency] = entry
    service["depends_on"] = go_map(depends_on.items())


def used_resources(services: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    """The resources some service refers to (the others are not printed)."""
    used: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for service in services.values():
        used["networks"].update(service.get("networks") or {})
        used["volumes"].update(v["source"] for v in service.get("volumes") or []
                               if v.get("type") == "volume" and v.get("source"))
        used["secrets"].update(s["source"] for s in service.get("secrets") or []
                               if s.get("source"))
        used["secrets"].update(s["source"] for s in (service.get("build") or {})
                               .get("secrets") or [] if s.get("source"))
        used["configs"].update(c["source"] for c in service.get("configs") or []
                               if c.get("source"))
        used["models"].update(service.get("models") or {})
    return used
