"""``pycompose config`` output: the canonical model as YAML or JSON, as docker
compose prints it (deterministic key order, literal ``$`` written as ``$$``)."""

from __future__ import annotations

import json
from typing import Any

import yaml

_TOP_LEVEL_ORDER = ("name", "services", "networks", "volumes", "secrets", "configs", "models")


def escape_dollars(value: Any) -> Any:
    """Interpolation has run, so a literal ``$`` must be written ``$$`` to survive
    being loaded again."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def ordered(canonical: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys in docker compose's order, everything below sorted by key."""
    def sort(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: sort(value[k]) for k in sorted(value, key=str)}
        if isinstance(value, list):
            return [sort(v) for v in value]
        return value

    result = {k: sort(canonical[k]) for k in _TOP_LEVEL_ORDER if k in canonical}
    result.update({k: sort(v) for k, v in sorted(canonical.items()) if k not in result})
    return result


class _Dumper(yaml.SafeDumper):
    """Block style, sequences indented under their key, multi-line strings as ``|``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _none(dumper: yaml.SafeDumper, value: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


_Dumper.add_representer(str, _str)
_Dumper.add_representer(type(None), _none)


def to_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def yaml_view(canonical: dict[str, Any]) -> dict[str, Any]:
    """docker compose's YAML leaves out what its JSON prints as null or empty for
    these fields (``omitempty`` in YAML only)."""
    result = dict(canonical)
    services = {}
    for name, service in canonical.get("services", {}).items():
        service = {k: v for k, v in service.items()
                   if not (k in {"command", "entrypoint"} and v is None)}
        services[name] = service
    if "services" in canonical:
        result["services"] = services
    if "networks" in canonical:
        result["networks"] = {
            key: {k: v for k, v in (network or {}).items() if not (k == "ipam" and not v)}
            for key, network in canonical["networks"].items()
        }
    return result


def render(canonical: dict[str, Any], fmt: str = "yaml", *, escape: bool = True) -> str:
    value = ordered(escape_dollars(canonical) if escape else canonical)
    return to_json(value) if fmt == "json" else to_yaml(yaml_view(value))
