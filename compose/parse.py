"""Loader phase 1: YAML text to plain data, remembering where every key came from.

Later phases work on plain dicts and lists; when one of them rejects a value it
looks up the key path in ``Document.positions`` to say ``file:line:col``.
Anchors, aliases and merge keys (``<<``) are resolved here; a key defined twice in
one mapping is an error, as it is for docker compose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from compose.errors import ComposeFileError, Location

KeyPath = tuple[str | int, ...]

# A Compose file nested deeper than this is hostile or broken; stop before
# Python's recursion limit turns it into a traceback.
MAX_DEPTH = 200


@dataclass(frozen=True)
class Document:
    """One parsed Compose file: its data and the position of every node in it."""

    file: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: KeyPath) -> Location:
        """The position of ``path``, or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, column = self.positions.get(probe, (None, None)) if probe else (None, None)
        return Location(self.file, line, column, format_path(path))

    def error(self, path: KeyPath, message: str) -> ComposeFileError:
        return ComposeFileError(self.locate(path), message)


def format_path(path: KeyPath) -> str:
    """``("services", "web", "ports", 0)`` -> ``services.web.ports[0]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema, as docker compose's parser reads it.

    PyYAML speaks YAML 1.1, where ``on``/``yes`` are booleans, ``80:80`` is a
    sexagesimal integer and ``2001-12-14`` a date.  In Compose files those are
    strings, so the implicit resolvers are replaced (the subclass keeps the change
    off PyYAML's shared class).
    """


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers
          if tag not in {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                         "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp",
                         "tag:yaml.org,2002:null"}]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0b[01]+|0o[0-7]+|0x[0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$",
     "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def parse_yaml(text: str, file: str) -> Document:
    """Parse one YAML document; an empty file gives ``None`` as data."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(file, None)
        positions: dict[KeyPath, tuple[int, int]] = {}
        data = _convert(loader, node, (), positions, file, 0)
        return Document(file, data, positions)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ComposeFileError(
            Location(file, line, column), f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise ComposeFileError(Location(file), f"YAML error: {exc}") from None
    except RecursionError:
        raise ComposeFileError(Location(file), "nesting is too deep") from None
    finally:
        loader.dispose()


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _convert(
    loader: _Loader,
    node: yaml.Node,
    path: KeyPath,
    positions: dict[KeyPath, tuple[int, int]],
    file: str,
    depth: int,
) -> Any:
    if depth > MAX_DEPTH:
        line, column = _mark(node)
        raise ComposeFileError(Location(file, line, column), "nesting is too deep")
    positions.setdefault(path, _mark(node))
    if isinstance(node, yaml.MappingNode):
        own = {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"}
        loader.flatten_mapping(node)  # resolves `<<` merge keys in place, merged pairs first
        result: dict[Any, Any] = {}
        own_keys: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, column = _mark(key_node)
                raise ComposeFileError(
                    Location(file, line, column), "a mapping key must be a scalar")
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):  # `1.10:` or `FALSE:` as a key means its text
                key = str(key_node.value)
            # A key merged in by `<<` may be overridden; one written twice may not.
            is_own = id(key_node) in own
            if is_own and key in own_keys:
                line, column = _mark(key_node)
                first = positions.get((*path, key))
                where = f" (first defined at line {first[0]})" if first else ""
                raise ComposeFileError(
                    Location(file, line, column, format_path((*path, str(key)))),
                    f"key {key!r} is defined twice{where}",
                )
            if is_own:
                own_keys.add(key)
            child = (*path, key)
            positions[child] = _mark(key_node)
            result[key] = _convert(loader, value_node, child, positions, file, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(loader, item, (*path, index), positions, file, depth + 1)
            for index, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)
