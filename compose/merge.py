"""Merging Compose files: later files override earlier ones (the spec's 13-merge.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def merge_documents(datas: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Later files override earlier ones: mappings merge by key, all else is replaced.

    (The specification's finer rules for sequences arrive with the full loader.)
    """
    merged: dict[str, Any] = {}
    for data in datas:
        merged = merge(merged, data)
    return merged


def merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for key, value in override.items():
            result[key] = merge(base[key], value) if key in base else value
        return result
    return override
