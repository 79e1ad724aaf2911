"""The build cache: a step's key to the layer it made.

A key folds in the step's parent (the base image's manifest digest and every
step before it, config changes included), its instruction, what it sees (the
RUN's environment, user, directory, shell, mounts and network; for COPY/ADD the
digest of its inputs' names, modes and contents).  One JSON file per key under
``<root>/buildcache/``, written atomically; a record whose layer blob is gone
(``image prune``) is a miss.  Synchronous.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.statefiles import write_json


@dataclass(frozen=True)
class CacheRecord:
    layer: dict[str, Any] | None
    """The layer's descriptor (JSON), or None when the step changed no file."""
    diff_id: str | None
    created: str

    def as_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "diff_id": self.diff_id, "created": self.created}


class BuildCache:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _file(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"malformed cache key {key!r}")
        return self.path / f"{key}.json"

    def get(self, key: str) -> CacheRecord | None:
        path = self._file(key)
        try:
            value = json.loads(path.read_bytes())
        except (FileNotFoundError, ValueError):
            return None
        if not isinstance(value, dict):
            return None
        layer = value.get("layer")
        return CacheRecord(layer if isinstance(layer, dict) else None,
                           value.get("diff_id"), str(value.get("created", "")))

    def put(self, key: str, record: CacheRecord) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self._file(key), record.as_json())
