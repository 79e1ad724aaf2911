"""Manifests as text: one YAML stream or JSON ``List`` for stdout, or one file per
object for a directory, named so that ``kubectl apply -f DIR`` creates them in
order (namespace first, workloads last)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import yaml

from compose.convert.base import Manifest
from compose.convert.core import KIND_ORDER


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as ``|`` literals, no aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value and value == value.rstrip(" ") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def to_yaml(manifest: Manifest) -> str:
    return yaml.dump(manifest, Dumper=_Dumper, sort_keys=True, default_flow_style=False,
                     allow_unicode=True, width=100)


def to_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stream(manifests: Sequence[Manifest], fmt: str) -> str:
    """Everything in one text: YAML documents, or a JSON ``v1`` ``List``."""
    if fmt == "json":
        return to_json({"apiVersion": "v1", "kind": "List", "items": list(manifests)})
    return "".join(f"---\n{to_yaml(m)}" for m in manifests)


def file_name(manifest: Manifest, fmt: str) -> str:
    order = KIND_ORDER.index(manifest["kind"])
    return f"{order:02d}-{manifest['kind'].lower()}-{manifest['metadata']['name']}.{fmt}"


def files(manifests: Sequence[Manifest], fmt: str) -> dict[str, str]:
    """File name to content, one object per file."""
    return {file_name(m, fmt): to_json(m) if fmt == "json" else to_yaml(m) for m in manifests}
