"""Loader phase 1: YAML text to plain data, remembering where every key came from.

Later phases work on plain dicts and lists; when one of them rejects a value it
looks up the key path in ``Document.positions`` to say ``file:line:col``.
Anchors, aliases and merge keys (``<<``) are resolved here; a key defined twice in
one mapping is an error, as it is for docker compose.  The Compose merge tags are
read here too: a key tagged ``!reset`` is left out, and the paths of ``!reset`` and
``!override`` keys are kept in ``Document.resets`` so that merging drops what earlier
files (or an extended service) put there.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from common.errors import ComposeFileError, Location

KeyPath = tuple[str | int, ...]

# A Compose file nested deeper than this is hostile or broken; stop before
# Python's recursion limit turns it into a traceback.
MAX_DEPTH = 200

RESET_TAG = "!reset"
OVERRIDE_TAG = "!override"


@dataclass(frozen=True)
class Document:
    """One parsed Compose file: its data and the position of every node in it."""

    file: str
    data: Any
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    # Key paths tagged `!reset` or `!override`: the value an earlier file or an
    # extended service gives them is discarded before this file is merged in.
    resets: frozenset[KeyPath] = frozenset()
    # The documents after this one in the same file (`---`): docker compose loads
    # them as if they were files given after it.
    following: tuple[Document, ...] = ()

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


# libyaml's parser is five times faster, but it recurses in C: thousands of nested
# levels crash the interpreter instead of raising.  Ordinary files use it; files
# that might nest deeply go to the pure-Python parser, which fails cleanly.
_CParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)
_FastLoader: Any = None
if _CParser is not None:
    class _CLoader(_CParser, yaml.constructor.SafeConstructor,  # type: ignore[misc]
                   yaml.resolver.Resolver):
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _FastLoader = _CLoader

_SAFE_NESTING = 200
_SAFE_INDENT = 1000


def _looks_shallow(text: str) -> bool:
    """Cheap proof that the text cannot nest deeper than libyaml handles."""
    # `${VAR}` is interpolation, not nesting
    if text.count("[") + text.count("{") - text.count("${") > _SAFE_NESTING:
        return False
    return all(len(line) - len(line.lstrip(" ")) < _SAFE_INDENT
               for line in text.splitlines() if len(line) >= _SAFE_INDENT)


def _loader(text: str) -> Any:
    if _FastLoader is not None and _looks_shallow(text):
        loader = _FastLoader(text)
        loader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
        return loader
    return _Loader(text)


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
    """Parse a YAML stream; an empty file gives ``None`` as data.  Documents after
    the first (``---``) are in ``following``."""
    try:
        loader = _loader(text)  # the reader refuses control characters right away
    except yaml.YAMLError as exc:
        raise ComposeFileError(Location(file), f"YAML error: {exc}") from None
    try:
        documents: list[Document] = []
        while loader.check_node():
            node = loader.get_node()
            assert node is not None  # check_node() says a document follows
            converter = _Converter(loader, file)
            data = converter.convert(node, (), 0)
            documents.append(
                Document(file, data, converter.positions, frozenset(converter.resets)))
        if not documents:
            return Document(file, None)
        return dataclasses.replace(documents[0], following=tuple(documents[1:]))
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


_STR = "tag:yaml.org,2002:str"
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000


def allowed_alias_ratio(decodes: int) -> float:
    """go-yaml v3's ``allowedAliasRatio``."""
    if decodes <= _ALIAS_RATIO_LOW:
        return 0.99
    if decodes >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decodes - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Converter:
    """Node graph to plain data, recording positions and ``!reset``/``!override`` paths."""

    def __init__(self, loader: _Loader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[KeyPath, tuple[int, int]] = {}
        self.resets: set[KeyPath] = set()
        # Nodes being converted (an alias back into one of them is a cycle), and the
        # keys each mapping had before `<<` was flattened (aliases revisit a node).
        self.active: dict[int, KeyPath] = {}
        self.own_keys: dict[int, set[int]] = {}
        # go-yaml's guard against alias bombs ("billion laughs"): how many nodes were
        # converted, how many of them again through an alias, and how deep in aliases
        self.visited: set[int] = set()
        self.decodes = 0
        self.aliased = 0
        self.alias_depth = 0

    def error(self, node: yaml.Node, path: KeyPath, message: str) -> ComposeFileError:
        line, column = _mark(node)
        return ComposeFileError(Location(self.file, line, column, format_path(path)), message)

    def convert(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            line, column = _mark(node)
            raise ComposeFileError(Location(self.file, line, column), "nesting is too deep")
        again = id(node) in self.visited
        if again:  # reached through an alias (pyyaml keeps no alias nodes)
            self.decodes += not self.alias_depth  # go-yaml counts the alias node too
            self.alias_depth += 1
        else:
            self.visited.add(id(node))
        try:
            self._count(node)
            return self._convert(node, path, depth)
        finally:
            self.alias_depth -= again

    def _count(self, node: yaml.Node) -> None:
        """go-yaml's ``excessive aliasing``: past 100 nodes reached through aliases
        and 1000 in all, aliases may make at most 99% of a small document, falling
        to 10% of a large one, so a few hundred bytes cannot expand to gigabytes."""
        self.decodes += 1
        if self.alias_depth:
            self.aliased += 1
            if self.aliased > 100 and self.decodes > 1000 and \
                    self.aliased / self.decodes > allowed_alias_ratio(self.decodes):
                line, column = _mark(node)
                raise ComposeFileError(Location(self.file, line, column),
                                       "YAML error: document contains excessive aliasing")

    def _convert(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        if path not in self.positions:
            self.positions[path] = _mark(node)
        tag = node.tag
        if tag == OVERRIDE_TAG:
            self.resets.add(path)
        if isinstance(node, yaml.ScalarNode):
            if tag == _STR:
                return node.value  # what the constructor would return, without its cache
            return self.loader.construct_object(_untagged(self.loader, node), deep=True)
        if id(node) in self.active:
            raise self.error(node, path, f"cycle detected: node at path {format_path(path)} "
                                         f"references node at path "
                                         f"{format_path(self.active[id(node)])}")
        self.active[id(node)] = path
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, path, depth)
            if isinstance(node, yaml.SequenceNode):
                return self.sequence(node, path, depth)
        finally:
            del self.active[id(node)]
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        own = self.own_keys.setdefault(
            id(node), {id(k) for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge"})
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys in place, merged pairs first
        result: dict[str, Any] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                line, column = _mark(key_node)
                raise ComposeFileError(
                    Location(self.file, line, column), "a mapping key must be a scalar")
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):  # `1.10:` or `FALSE:` as a key means its text
                key = str(key_node.value)
            child = (*path, key)
            # A key merged in by `<<` may be overridden; one written twice may not.
            if id(key_node) in own:
                if key in seen:
                    raise self.error(key_node, child, self.duplicate(key_node, key, child))
                seen.add(key)
            self.positions[child] = _mark(key_node)
            if value_node.tag == RESET_TAG:
                self.resets.add(child)
                result.pop(key, None)
                continue
            result[key] = self.convert(value_node, child, depth + 1)
        return result

    def duplicate(self, key_node: yaml.Node, key: str, child: KeyPath) -> str:
        """docker compose's wording, line numbers included."""
        first = self.positions.get(child)
        where = f" already defined at line {first[0]}" if first else " already defined"
        return f"line {_mark(key_node)[0]}: mapping key \"{key}\"{where}"

    def sequence(self, node: yaml.SequenceNode, path: KeyPath, depth: int) -> list[Any]:
        items = [item for item in node.value if item.tag != RESET_TAG]
        return [self.convert(item, (*path, index), depth + 1)
                for index, item in enumerate(items)]


def _untagged(loader: _Loader, node: yaml.ScalarNode) -> yaml.ScalarNode:
    """``!override 42`` is the scalar ``42``: resolve the tag as if none were written."""
    if node.tag != OVERRIDE_TAG:
        return node
    plain = node.style in (None, "")  # libyaml marks plain scalars with ""
    implicit = (plain, not plain)
    tag: str = loader.resolve(yaml.ScalarNode, node.value, implicit)  # type: ignore[no-untyped-call]
    return yaml.ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
