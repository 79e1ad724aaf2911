"""``config --variables``: the variables a model uses, with defaults, as docker prints them.

Extraction follows compose-go's ``template.ExtractVariables``: every match of the
interpolation pattern in a value (keys excluded), the operator after the name
telling a default (``-``), an alternate value (``+``) or a required variable (``?``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from compose.spec.load.interpolate import PATTERN, first_operator


@dataclass(frozen=True)
class Variable:
    name: str
    default: str = ""
    presence: str = ""
    required: bool = False


def extract(data: Any) -> dict[str, Variable]:
    """The variables of ``data`` (a raw, un-interpolated model) by name."""
    found: dict[str, Variable] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str):
            for match in PATTERN.finditer(value):
                variable = _variable(match.group("named") or match.group("braced") or "")
                if variable is not None:
                    found[variable.name] = variable
        elif isinstance(value, dict):
            for key, item in value.items():
                if not (value is data and key == "name"):  # the name is interpolated first
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def _variable(text: str) -> Variable | None:
    if not text:
        return None
    operator = first_operator(text)
    if operator is None:
        return Variable(text)
    name, argument = text.split(operator, 1)
    if "?" in operator:
        return Variable(name, required=True)
    if "-" in operator:
        return Variable(name, default=argument)
    return Variable(name, presence=argument)


def render(variables: dict[str, Variable], fmt: str) -> str:
    ordered = [variables[name] for name in sorted(variables)]
    if fmt == "json":
        return json.dumps({v.name: {"Name": v.name, "DefaultValue": v.default,
                                    "PresenceValue": v.presence, "Required": v.required}
                           for v in ordered}, indent=4) + "\n"
    if fmt == "yaml":
        return "".join(
            f"{_scalar(v.name)}:\n    name: {_scalar(v.name)}\n"
            f"    defaultvalue: {_scalar(v.default)}\n    presencevalue: {_scalar(v.presence)}\n"
            f"    required: {str(v.required).lower()}\n" for v in ordered)
    rows = [("NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE")]
    rows += [(v.name, str(v.required).lower(), v.default, v.presence) for v in ordered]
    # Go's tabwriter as docker configures it: min width 20, padding 3, last cell as is
    widths = [max(20, *(len(row[i]) + 3 for row in rows)) for i in range(3)]
    return "".join("".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False))
                   + row[3] + "\n" for row in rows)


_PLAIN = re.compile(r"[A-Za-z_/.][A-Za-z0-9_./-]*")
_NOT_STRINGS = re.compile(r"(?i:y|n|yes|no|on|off|true|false|null|~)")


def _scalar(text: str) -> str:
    """A YAML scalar: plain when it reads back as this string, else double-quoted."""
    if _PLAIN.fullmatch(text) and not _NOT_STRINGS.fullmatch(text):
        return text
    return json.dumps(text, ensure_ascii=False)
