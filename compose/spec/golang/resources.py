"""docker compose's top-level ``networks``/``volumes``/``secrets``/``configs``/
``models`` structs, as ``gomodel`` specs, and the names they get.

A resource is named ``<project>_<key>`` unless it says ``name:``; an external one
is named after its key; the deprecated ``external: {name: x}`` means
``name: x, external: true``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from compose.spec.golang.structs import (
    Context,
    Struct,
    boolean,
    field,
    integer,
    labels,
    list_of,
    path,
    string,
    string_map,
    strings,
)


def _external(value: Any, ctx: Context) -> Any:
    return True if isinstance(value, Mapping) else boolean(value, ctx)


_POOL = Struct(field("subnet", string), field("gateway", string), field("ip_range", string),
               field("aux_addresses", labels))
_IPAM = Struct(field("driver", string), field("config", list_of(_POOL)))

NETWORK = Struct(
    field("name", string), field("driver", string), field("driver_opts", string_map),
    field("ipam", _IPAM), field("external", _external), field("internal", boolean),
    field("attachable", boolean), field("labels", labels),
    field("enable_ipv4", boolean, pointer=True), field("enable_ipv6", boolean, pointer=True),
)
VOLUME = Struct(
    field("name", string), field("driver", string), field("driver_opts", string_map),
    field("external", _external), field("labels", labels),
)


def _file_object(content: bool) -> Struct:
    return Struct(
        field("name", string), field("file", path), field("environment", string),
        *([field("content", string)] if content else []),
        field("external", _external), field("labels", labels), field("driver", string),
        field("driver_opts", string_map), field("template_driver", string),
    )


SECRET = _file_object(content=False)  # a secret's content is never printed
CONFIG = _file_object(content=True)
MODEL = Struct(field("name", string), field("model", string), field("context_size", integer),
               field("runtime_flags", strings))

KINDS: dict[str, Struct] = {
    "networks": NETWORK, "volumes": VOLUME, "secrets": SECRET, "configs": CONFIG,
    "models": MODEL,
}


def deprecated_external_name(raw: Any) -> str | None:
    """The name in ``external: {name: x}``, which docker compose warns about."""
    external = raw.get("external") if isinstance(raw, Mapping) else None
    if isinstance(external, Mapping) and external.get("name"):
        return str(external["name"])
    return None


def canonical_resource(kind: str, key: str, raw: Any, project: str, ctx: Context,
                       warn: Callable[[str], None]) -> dict[str, Any]:
    """One top-level resource, converted and named."""
    source = dict(raw) if isinstance(raw, Mapping) else {}
    legacy = deprecated_external_name(source)
    if legacy is not None:
        warn(f"{kind}.{key}: external.name is deprecated. Please set name and external: true")
        source.setdefault("name", legacy)
    converted: dict[str, Any] = KINDS[kind](source, ctx)
    if kind == "configs" and converted.get("environment"):
        converted.pop("content", None)
    options = converted.get("driver_opts", {})
    if kind == "volumes" and converted.get("driver") == "local" and options.get("o") == "bind" \
            and "device" in options:
        converted["driver_opts"]["device"] = path(converted["driver_opts"]["device"], ctx)
    if kind == "models":
        return converted
    name = converted.get("name") or (key if converted.get("external") else f"{project}_{key}")
    return {"name": name, **{k: v for k, v in converted.items() if k != "name"}}
