"""After a merge, an entry redefined later in a sequence replaces the earlier one.

Merging appends sequences, so ``ports``, ``volumes``, ``environment`` (list form),
``secrets``... may hold two entries for one thing.  As compose-go's
``EnforceUnicity`` does, each such sequence is indexed by what makes an entry
unique (a volume by its target, a secret by its target path, ``KEY=VALUE`` by
``KEY``...): the last definition wins and takes the place of the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compose.spec.load.parse import KeyPath
from compose.spec.load.pathtable import WILDCARD
from compose.spec.syntax.volumespec import parse_volume

Indexer = Callable[[Any], str | None]  # None: the entry is not indexable, keep it


class UnicityError(ValueError):
    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def enforce_unicity(data: Any, path: KeyPath = ()) -> Any:
    """``data`` where every indexed sequence holds each key once (new mappings and
    sequences along the indexed paths; everything else is shared, not copied)."""
    node: Any = _TRIE
    for key in path:
        node = _child(node, key)
    return _enforce(data, node, path)


def _child(node: Any, key: Any) -> Any:
    if not isinstance(node, dict):
        return None
    return node.get(str(key), node.get(WILDCARD))


def _enforce(data: Any, node: Any, path: KeyPath) -> Any:
    """Only where some pattern leads (``node``: a trie of the patterns, an indexer at
    each leaf): a project's many other keys are not walked at all."""
    if node is None:
        return data
    if isinstance(data, dict) and isinstance(node, dict):
        return {key: _enforce(value, _child(node, key), (*path, key))
                for key, value in data.items()}
    if isinstance(data, list) and callable(node):
        return _unique(data, node, path)
    return data


def _unique(data: list[Any], indexer: Indexer, path: KeyPath) -> list[Any]:
    result: list[Any] = []
    where: dict[str, int] = {}
    for index, entry in enumerate(data):
        try:
            key = indexer(entry)
        except ValueError as exc:
            raise UnicityError((*path, index), str(exc)) from None
        if key is None:
            result.append(entry)
        elif key in where:
            result[where[key]] = entry
        else:
            where[key] = len(result)
            result.append(entry)
    return result


def _key_value(entry: Any) -> str | None:
    """``KEY=VALUE`` and ``KEY`` are both indexed by ``KEY``."""
    return entry.partition("=")[0] if isinstance(entry, str) else None


def _volume(entry: Any) -> str | None:
    if isinstance(entry, dict):
        target = entry.get("target")
        if not isinstance(target, str):
            raise ValueError("service volume is missing a mount target")
        return target
    if isinstance(entry, str):
        return volume_target(entry)
    return ""


def _device(entry: Any) -> str | None:
    if isinstance(entry, dict):
        target = entry.get("target")
        if not isinstance(target, str):
            raise ValueError("service device is missing a mount target")
        return target
    if isinstance(entry, str):
        parts = entry.split(":")
        return parts[1] if len(parts) > 1 else parts[0]
    return ""


def _expose(entry: Any) -> str | None:
    if isinstance(entry, str | int) and not isinstance(entry, bool):
        return str(entry)
    return None


def _mount(default_dir: str) -> Indexer:
    """Secrets and configs: by target, else by the default path of the source."""
    def index(entry: Any) -> str | None:
        if isinstance(entry, str):
            return f"{default_dir}/{entry}"
        if isinstance(entry, dict):
            if "target" in entry:
                return str(entry["target"])
            return f"{default_dir}/{_go_s(entry.get('source'))}"
        return None
    return index


def _port(entry: Any) -> str | None:
    if isinstance(entry, int) and not isinstance(entry, bool):
        return str(entry)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if "target" not in entry:
            raise ValueError("service ports is missing a target port")
        host = _go_s(entry.get("host_ip", "0.0.0.0"))
        protocol = _go_s(entry.get("protocol", "tcp"))
        return f"{host}:{_go_s(entry.get('published'))}:{_go_d(entry['target'])}/{protocol}"
    return ""


def _env_file(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict):
        if "path" not in entry:
            raise ValueError("environment path attribute is missing")
        return _go_s(entry["path"])
    return ""


def _go_s(value: Any) -> str:
    """Go's ``%s``: distinct texts for ``"8080"`` and ``8080``, as compose-go keys them."""
    if isinstance(value, str):
        return value
    if value is None:
        return "%!s(<nil>)"
    return f"%!s({type(value).__name__}={value})"


def _go_d(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"%!d({type(value).__name__}={value})"


_UNIQUE: dict[KeyPath, Indexer] = {
    ("networks", "*", "labels"): _key_value,
    ("networks", "*", "ipam", "options"): _key_value,
    ("services", "*", "annotations"): _key_value,
    ("services", "*", "build", "args"): _key_value,
    ("services", "*", "build", "additional_contexts"): _key_value,
    ("services", "*", "build", "platform"): _key_value,  # sic, as in compose-go
    ("services", "*", "build", "tags"): _key_value,
    ("services", "*", "build", "labels"): _key_value,
    ("services", "*", "cap_add"): _key_value,
    ("services", "*", "cap_drop"): _key_value,
    ("services", "*", "configs"): _mount(""),
    ("services", "*", "deploy", "labels"): _key_value,
    ("services", "*", "devices"): _device,
    ("services", "*", "dns"): _key_value,
    ("services", "*", "dns_opt"): _key_value,
    ("services", "*", "dns_search"): _key_value,
    ("services", "*", "environment"): _key_value,
    ("services", "*", "env_file"): _env_file,
    ("services", "*", "expose"): _expose,
    ("services", "*", "labels"): _key_value,
    ("services", "*", "links"): _key_value,
    ("services", "*", "networks", "*", "aliases"): _key_value,
    ("services", "*", "networks", "*", "link_local_ips"): _key_value,
    ("services", "*", "ports"): _port,
    ("services", "*", "profiles"): _key_value,
    ("services", "*", "secrets"): _mount("/run/secrets"),
    ("services", "*", "sysctls"): _key_value,
    ("services", "*", "tmpfs"): _key_value,
    ("services", "*", "volumes"): _volume,
}


def _trie(patterns: dict[KeyPath, Indexer]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for pattern, indexer in patterns.items():
        node = root
        for key in pattern[:-1]:
            node = node.setdefault(str(key), {})
        node[str(pattern[-1])] = indexer
    return root


_TRIE = _trie(_UNIQUE)


def volume_target(spec: str) -> str:
    """``SOURCE:TARGET[:MODE]`` or ``TARGET`` -> ``TARGET``, as compose-go's
    ``format.ParseVolume`` reads it (``VolumeSpecError`` is a ``ValueError``)."""
    return str(parse_volume(spec).get("target", ""))
