"""YAML text as Go's ``yaml.v3`` encoder writes it (what ``docker compose config``
prints): block style, sequences indented under their key, ``|`` for multi-line
strings, double quotes for strings that would read back as something else, and
Go maps (``GoMap``) with their keys in yaml.v3's natural order (``a2`` < ``a10``).
Struct-like dicts keep their order.
"""

from __future__ import annotations

import re
from functools import cmp_to_key
from typing import Any

import yaml

from compose.spec.golang.structs import GoMap

# YAML 1.1 booleans PyYAML does not resolve but Go's encoder still quotes.
_OLD_BOOLEANS = frozenset({"y", "Y", "n", "N"})
# YAML 1.1 sexagesimal numbers (``02:00:01``), also quoted by Go's encoder.
_BASE60 = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


class _Dumper(yaml.SafeDumper):
    """Block style, sequences indented under their key, multi-line strings as ``|``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Multi-line strings as ``|``; a string that would read back as another type
    (``"8080"``, ``"true"``, ``"y"``) double-quoted, as Go's encoder quotes it."""
    tag = "tag:yaml.org,2002:str"
    if "\n" in value:
        return dumper.represent_scalar(tag, value, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if value in _OLD_BOOLEANS or resolved != tag or _BASE60.match(value):
        return dumper.represent_scalar(tag, value, style='"')
    return dumper.represent_scalar(tag, value)


def _none(dumper: yaml.SafeDumper, value: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "null")


def _go_map(dumper: yaml.SafeDumper, value: GoMap) -> yaml.MappingNode:
    keys = sorted(value, key=cmp_to_key(_natural))
    return dumper.represent_mapping("tag:yaml.org,2002:map", [(k, value[k]) for k in keys])


def _natural(a: str, b: str) -> int:
    """Go yaml's key order: letters by code point, digit runs by value."""
    digits = False
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x == y:
            digits = x.isdigit()
            continue
        if x.isalpha() and y.isalpha():
            return -1 if x < y else 1
        if x.isalpha() or y.isalpha():
            first = x.isalpha() if digits else y.isalpha()
            return -1 if first else 1
        a_number, a_end = _number(a, index)
        b_number, b_end = _number(b, index)
        if (x == "0" or y == "0") and any(c != "0" for c in _digits_before(a, index)):
            a_number, b_number = int("1" + a[index:a_end]), int("1" + b[index:b_end])
        if a_number != b_number:
            return -1 if a_number < b_number else 1
        if a_end != b_end:
            return -1 if a_end < b_end else 1
        return -1 if x < y else 1
    return (len(a) > len(b)) - (len(a) < len(b))


def _number(text: str, start: int) -> tuple[int, int]:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return (int(text[start:end]) if end > start else 0), end


def _digits_before(text: str, index: int) -> str:
    start = index
    while start > 0 and text[start - 1].isdigit():
        start -= 1
    return text[start:index]


_Dumper.add_representer(GoMap, _go_map)
_Dumper.add_representer(str, _str)
_Dumper.add_representer(type(None), _none)


def to_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=1 << 16)
