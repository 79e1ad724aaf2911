"""Loader phase: the canonical form of a merged project, as ``docker compose config``
prints it.

Every short syntax becomes the long one, relative paths become absolute, the
implicit ``default`` network is added, resource names get their project prefix.
Input and output are plain data (what ``config --format json`` prints); the
engine's typed model is built from the output (``build.py``).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from compose.names import network_name
from compose.sources import Sources


def canonicalize(
    data: Mapping[str, Any],
    *,
    project_name: str,
    working_dir: str,
    environ: Mapping[str, str],
    sources: Sources,
) -> dict[str, Any]:
    services = {
        name: _service(name, raw or {}, environ, sources)
        for name, raw in sorted((data.get("services") or {}).items())
    }
    result: dict[str, Any] = {"name": project_name, "services": services}
    networks = _networks(data.get("networks") or {}, services, project_name)
    if networks:
        result["networks"] = networks
    for key in ("volumes", "secrets", "configs", "models"):
        if data.get(key):
            result[key] = dict(data[key])
    return result


def _networks(raw: Mapping[str, Any], services: Mapping[str, Any],
              project_name: str) -> dict[str, Any]:
    used = {key for service in services.values() for key in service.get("networks", {})}
    result: dict[str, Any] = {}
    for key in sorted(used):
        network = dict(raw.get(key) or {})
        network.setdefault("name", network_name(project_name, key))
        if key == "default" and not raw.get(key):
            network["ipam"] = {}
        result[key] = network
    return result


def _service(name: str, raw: Mapping[str, Any], environ: Mapping[str, str],
             sources: Sources) -> dict[str, Any]:
    service = dict(raw)
    service["command"] = _command(raw.get("command"))
    service["entrypoint"] = _command(raw.get("entrypoint"))
    if "environment" in raw:
        service["environment"] = _environment(raw["environment"], environ)
    if "depends_on" in raw:
        service["depends_on"] = _depends_on(raw["depends_on"])
    if "labels" in raw:
        service["labels"] = _labels(raw["labels"])
    if "network_mode" not in raw:
        service["networks"] = _service_networks(raw.get("networks"))
    return service


def _command(value: Any) -> list[str] | None:
    """A string is split like a shell would (compose-go uses shellwords); a list is kept."""
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _pairs(value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    pairs: list[tuple[str, Any]] = []
    for entry in value or []:
        key, sep, rest = str(entry).partition("=")
        pairs.append((key, rest if sep else None))
    return pairs


def _environment(value: Any, environ: Mapping[str, str]) -> dict[str, str | None]:
    """A key without a value takes it from the environment, else stays ``null``."""
    result: dict[str, str | None] = {}
    for key, raw in _pairs(value):
        if raw is None:
            result[key] = environ.get(key)
        else:
            result[key] = scalar(raw)
    return dict(sorted(result.items()))


def _labels(value: Any) -> dict[str, str]:
    return dict(sorted((k, "" if v is None else scalar(v)) for k, v in _pairs(value)))


def _depends_on(value: Any) -> dict[str, dict[str, Any]]:
    if isinstance(value, list):
        return {str(v): {"condition": "service_started", "required": True} for v in value}
    result: dict[str, dict[str, Any]] = {}
    for key, entry in value.items():
        entry = dict(entry or {})
        entry.setdefault("condition", "service_started")
        entry.setdefault("required", True)
        if not entry.get("restart"):
            entry.pop("restart", None)
        result[str(key)] = entry
    return result


def _service_networks(value: Any) -> dict[str, Any]:
    if not value:
        return {"default": None}
    if isinstance(value, list):
        return {str(v): None for v in value}
    return {str(k): v for k, v in value.items()}
