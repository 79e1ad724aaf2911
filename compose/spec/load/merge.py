"""Merging Compose files: a later file overrides an earlier one (the spec's 13-merge.md).

The rules are docker compose's (compose-go's ``override`` package), applied to the
raw data of each file: mappings merge by key, sequences are appended (the unicity
pass in ``unicity.py`` then drops redefinitions), scalars are replaced, ``null``
keeps the earlier value.  Some attributes have their own rule (``_SPECIALS``):
``command``/``entrypoint``/``healthcheck.test`` are replaced, ``environment`` and
labels-like attributes merge as ``KEY=VALUE`` sequences whatever form each side
uses, ``depends_on``/``networks`` as mappings, ``logging`` only keeps options
when the driver is the same, ``build`` accepts its string form.
Every function here is pure: inputs are never modified.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from compose.spec.load.parse import KeyPath, format_path
from compose.spec.load.pathtable import PathTable

Merger = Callable[[Any, Any, KeyPath], Any]


class MergeError(ValueError):
    """Two files give a key values that cannot be merged (a list and a mapping...)."""

    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def merge(base: Any, override: Any, path: KeyPath = (), *, base_owned: bool = False) -> Any:
    """``override`` merged over ``base``, both found at ``path`` of the model.
    ``base_owned``: the caller hands ``base`` over (a result it made and keeps no
    other reference to), so it is not copied first."""
    return _merge(base if base_owned else tree_copy(base), tree_copy(override), path)


def tree_copy(value: Any) -> Any:
    """A deep copy of parsed YAML: mappings and sequences of immutable scalars, a
    tree (the parser gives each alias its own copy), so no memo is needed; five
    times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {key: tree_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tree_copy(item) for item in value]
    return value


def _merge(base: Any, override: Any, path: KeyPath) -> Any:
    """``merge`` on values the caller owns: parts of them end up in the result."""
    special = _special(path)
    if special is not None:
        return special(base, override, path)
    if override is None:
        return base
    if isinstance(base, dict):
        if not isinstance(override, dict):
            raise MergeError(path, f"cannot override {format_path(path)}")
        return _merge_mappings(base, override, path)
    if isinstance(base, list):
        if not isinstance(override, list):
            raise MergeError(path, f"cannot override {format_path(path)}")
        return [*base, *override]
    return override


def _merge_mappings(base: Mapping[str, Any], override: Mapping[str, Any],
                    path: KeyPath) -> dict[str, Any]:
    result = dict(base)
    for key, value in override.items():
        result[key] = _merge(result[key], value, (*path, key)) if key in result else value
    return result


def discard(data: Any, paths: Iterable[KeyPath]) -> Any:
    """``data`` without the keys at ``paths`` (what ``!reset``/``!override`` do to
    the earlier files); positions in sequences are left alone, as compose-go does."""
    result = data
    for path in paths:
        result = _without(result, path)
    return result


def _without(data: Any, path: KeyPath) -> Any:
    if not path or not isinstance(data, dict) or path[0] not in data:
        return data
    result = dict(data)
    if len(path) == 1:
        del result[path[0]]
    else:
        result[path[0]] = _without(data[path[0]], path[1:])
    return result


# --- special rules ------------------------------------------------------------------


def _replace(_base: Any, override: Any, _path: KeyPath) -> Any:
    return override


def _to_sequence(base: Any, override: Any, _path: KeyPath) -> list[Any]:
    return [*as_sequence(base), *as_sequence(override)]


def _extra_hosts(base: Any, override: Any, _path: KeyPath) -> list[Any]:
    """Sequences appended, leaving out override entries the base already has."""
    first = as_sequence(base)
    return [*first, *(entry for entry in as_sequence(override) if entry not in first)]


def _logging(base: Any, override: Any, path: KeyPath) -> Any:
    """Options only merge when both sides use the same driver, or one names none."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return _merge(base, override, ())
    if ("driver" not in override or "driver" not in base
            or override["driver"] == base["driver"]):
        return _merge_mappings(base, override, path)
    return override


def _build(base: Any, override: Any, path: KeyPath) -> dict[str, Any]:
    return _merge_mappings(_build_mapping(base), _build_mapping(override), path)


def _build_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {"context": value}
    return value if isinstance(value, dict) else {}


def _depends_on(base: Any, override: Any, path: KeyPath) -> dict[str, Any]:
    started = {"condition": "service_started", "required": True}
    return _merge_mappings(as_mapping(base, started), as_mapping(override, started), path)


def _mapping(base: Any, override: Any, path: KeyPath) -> dict[str, Any]:
    return _merge_mappings(as_mapping(base), as_mapping(override), path)


def _ipam_config(base: Any, override: Any, path: KeyPath) -> list[Any]:
    """Entries with the same ``subnet`` merge; others are added once."""
    if not isinstance(base, list) or not isinstance(override, list):
        raise MergeError(path, f"{format_path(path)}: unexpected type")
    result: list[dict[str, Any]] = []
    for original in base:
        right = as_mapping(original)
        for entry in override:
            left = as_mapping(entry)
            new_subnet = left.get("subnet") != right.get("subnet") and not any(
                c.get("subnet") == left.get("subnet") for c in result)
            if new_subnet:
                result.append(left)
                continue
            right = _merge_mappings(right, left, path)
            index = next((i for i, c in enumerate(result)
                          if c.get("subnet") == right.get("subnet")), None)
            if index is None:
                result.append(right)
            else:
                result[index] = right
    return result


_SPECIALS: dict[KeyPath, Merger] = {
    ("networks", "*", "ipam", "config"): _ipam_config,
    ("networks", "*", "labels"): _to_sequence,
    ("volumes", "*", "labels"): _to_sequence,
    ("services", "*", "annotations"): _to_sequence,
    ("services", "*", "build"): _build,
    ("services", "*", "build", "args"): _to_sequence,
    ("services", "*", "build", "additional_contexts"): _to_sequence,
    ("services", "*", "build", "extra_hosts"): _extra_hosts,
    ("services", "*", "build", "labels"): _to_sequence,
    ("services", "*", "command"): _replace,
    ("services", "*", "depends_on"): _depends_on,
    ("services", "*", "deploy", "labels"): _to_sequence,
    ("services", "*", "dns"): _to_sequence,
    ("services", "*", "dns_opt"): _to_sequence,
    ("services", "*", "dns_search"): _to_sequence,
    ("services", "*", "entrypoint"): _replace,
    ("services", "*", "env_file"): _to_sequence,
    ("services", "*", "label_file"): _to_sequence,
    ("services", "*", "environment"): _to_sequence,
    ("services", "*", "extra_hosts"): _extra_hosts,
    ("services", "*", "healthcheck", "test"): _replace,
    ("services", "*", "labels"): _to_sequence,
    ("services", "*", "volumes", "*", "volume", "labels"): _to_sequence,
    ("services", "*", "logging"): _logging,
    ("services", "*", "models"): _mapping,
    ("services", "*", "networks"): _mapping,
    ("services", "*", "sysctls"): _to_sequence,
    ("services", "*", "tmpfs"): _to_sequence,
    ("services", "*", "ulimits", "*"): _replace,
}


_SPECIAL_TABLE: PathTable[Merger] = PathTable(_SPECIALS)


def _special(path: KeyPath) -> Merger | None:
    return _SPECIAL_TABLE.lookup(path)


def matches(path: KeyPath, pattern: KeyPath) -> bool:
    """Does ``path`` match ``pattern``, where ``*`` stands for any one key or index?"""
    return len(path) == len(pattern) and all(
        p == "*" or p == str(k) for k, p in zip(path, pattern, strict=True))


# --- conversions ----------------------------------------------------------------------


def as_sequence(value: Any) -> list[Any]:
    """A ``KEY=VALUE`` sequence: a mapping gives its sorted entries (``KEY`` alone for
    null, one entry per item of a list value), a string is one entry."""
    if isinstance(value, dict):
        entries: list[str] = []
        for key, item in value.items():
            if item is None:
                entries.append(str(key))
            elif isinstance(item, list):
                entries.extend(f"{key}={go_text(v)}" for v in item)
            else:
                entries.append(f"{key}={go_text(item)}")
        return sorted(entries)
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return [value]
    return []


def as_mapping(value: Any, default: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A mapping; a list of names gives each name ``default`` (or null)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(name): None if default is None else dict(default) for name in value}
    return {}


def go_text(value: Any) -> str:
    """A scalar as Go's ``%v`` prints it (how compose-go turns ``1`` into ``"1"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    if value is None:
        return "<nil>"
    return str(value)


def _go_float(value: float) -> str:
    """Shortest digits, exponent form outside 1e-4 <= |x| < 1e6 (``strconv`` 'g', -1)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    number = Decimal(repr(value)).normalize()
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    point = len(digits) - 1 + exponent
    if -4 <= point < 6:
        return format(number, "f")
    text = "".join(map(str, digits))
    mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{point:+03d}"
