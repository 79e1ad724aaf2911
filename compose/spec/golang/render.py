"""``pycompose config`` output: the canonical model as YAML or JSON, as docker
compose prints it (literal ``$`` written as ``$$``).

The canonical dict is already in docker compose's YAML shape and order.  Its JSON
differs where Go's two encoders do: top-level keys sorted, ``models`` and nested
``x-`` extensions left out, ``command``/``entrypoint`` printed as ``null`` when
unset, and empty value structs (``ipam``, ``deploy.resources``/``placement``)
printed as ``{}``.
"""

from __future__ import annotations

import json
from typing import Any

from compose.spec.golang.service import SERVICE
from compose.spec.golang.structs import GoMap, sort_maps
from compose.spec.golang.yamlout import to_yaml

# Top-level keys in docker compose's YAML order; ``x-`` extensions follow.
TOP_LEVEL_ORDER = ("name", "services", "networks", "volumes", "secrets", "configs", "models")
_NETWORK_ORDER = ["name", "driver", "driver_opts", "ipam", "external", "internal", "attachable",
                  "labels", "enable_ipv4", "enable_ipv6"]
_DEPLOY_ORDER = ["mode", "replicas", "labels", "update_config", "rollback_config", "resources",
                 "restart_policy", "placement", "endpoint_mode"]


def escape_dollars(value: Any) -> Any:
    """Interpolation has run, so a literal ``$`` must be written ``$$`` to survive
    being loaded again."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, GoMap):
        return GoMap((k, escape_dollars(v)) for k, v in value.items())
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def ordered(canonical: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys in docker compose's order, ``x-`` extensions last."""
    result = {k: canonical[k] for k in TOP_LEVEL_ORDER if k in canonical}
    result.update((k, v) for k, v in sorted(canonical.items()) if k not in result)
    return result


_JSON_ESCAPES = {"&": "\\u0026", "<": "\\u003c", ">": "\\u003e",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def to_json(value: Any) -> str:
    """Indented like docker compose's, which ends without a newline and escapes
    ``<``, ``>`` and ``&`` as Go's encoder does."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def json_view(canonical: dict[str, Any]) -> dict[str, Any]:
    """What docker compose's JSON encoder prints for the same model."""
    result: dict[str, Any] = {}
    for key in sorted(canonical):
        value = canonical[key]
        if key == "models":
            continue
        if key == "services" and isinstance(value, dict):
            value = {name: _json_service(s) for name, s in value.items()}
        elif key == "networks" and isinstance(value, dict):
            value = {name: _with_empty(_strip_extensions(n), "ipam", _NETWORK_ORDER)
                     for name, n in value.items()}
        elif key in TOP_LEVEL_ORDER:
            value = _strip_extensions(value)
        result[key] = value
    return result


def _json_service(service: Any) -> Any:
    if not isinstance(service, dict):
        return service
    result = _strip_extensions(service)
    result.setdefault("command", None)
    result.setdefault("entrypoint", None)
    if isinstance(result.get("deploy"), dict):
        deploy = _with_empty(result["deploy"], "resources", _DEPLOY_ORDER)
        result["deploy"] = _with_empty(deploy, "placement", _DEPLOY_ORDER)
    for hooks in ("post_start", "pre_stop"):
        if isinstance(result.get(hooks), list):
            result[hooks] = [{"command": None, **h} if isinstance(h, dict) else h
                             for h in result[hooks]]
    if isinstance(result.get("blkio_config"), dict):
        result["blkio_config"] = _blkio_json(result["blkio_config"])
    watch = (result.get("develop") or {}).get("watch")
    if isinstance(watch, list):
        result["develop"]["watch"] = [
            {**t, "exec": {"command": None, **(t.get("exec") or {})}} if isinstance(t, dict)
            else t for t in watch
        ]
    return dict(sorted(result.items(), key=lambda i: _service_position(i[0])))


def _blkio_json(blkio: dict[str, Any]) -> dict[str, Any]:
    """Go's device structs there have no JSON tags: their keys print capitalised."""
    return {key: [{k.capitalize(): v for k, v in d.items()} if isinstance(d, dict) else d
                  for d in value] if isinstance(value, list) else value
            for key, value in blkio.items()}


def _service_position(key: str) -> int:
    return _position(key, [f.key for f in SERVICE.fields])


def _position(key: str, order: list[str]) -> int:
    return order.index(key) if key in order else len(order)


def _with_empty(value: Any, key: str, order: list[str]) -> Any:
    """A Go value struct JSON prints even when empty, placed where Go puts it."""
    if not isinstance(value, dict) or key in value:
        return value
    return dict(sorted({**value, key: {}}.items(), key=lambda i: _position(i[0], order)))


def _strip_extensions(value: Any) -> Any:
    """``x-`` keys of structs are Go ``Extensions``, which JSON leaves out; in Go
    maps (``GoMap``) they are data."""
    if isinstance(value, list):
        return [_strip_extensions(v) for v in value]
    if not isinstance(value, dict):
        return value
    keep_all = isinstance(value, GoMap)
    return type(value)((k, _strip_extensions(v)) for k, v in value.items()
                       if keep_all or not str(k).startswith("x-"))


def render(canonical: dict[str, Any], fmt: str = "yaml", *, escape: bool = True) -> str:
    """``escape`` is off for ``--no-interpolate``, where docker compose prints its
    untyped map model: keys sorted at every level, ``$`` left alone."""
    if not escape:
        value = sort_maps(canonical)
        return to_json(value) if fmt == "json" else to_yaml(value)
    value = ordered(escape_dollars(canonical))
    return to_json(json_view(value)) if fmt == "json" else to_yaml(value)
