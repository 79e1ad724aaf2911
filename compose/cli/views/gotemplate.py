"""``--format`` as Docker's listings take it (pure): ``table``, ``json``, or a Go
template over each row's fields, as scripts write them for ``docker compose ps``
and friends: ``{{.Name}}``, ``table {{.Name}}\\t{{.Status}}``, ``{{json .}}``,
``{{json .Labels}}``, ``{{upper .Service}}``.

The subset of Go's text/template that docker's ``--format`` documents: field
access (``.Field``, ``.Field.Sub``, ``.`` for the whole row), the functions
``json``, ``upper``, ``lower``, ``title``, ``join`` and ``truncate``, and the
``\\t``/``\\n`` escapes docker's formatter expands.  A ``table`` template prints a
header row (the fields' names as docker writes them) and aligns the columns as Go's
tabwriter does for docker (cells at least 10 wide, 3 spaces of padding).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from common.errors import UsageError

FORMAT_HELP = "table, json, or a Go template: '{{.Name}}', 'table {{.Name}}\\t{{.Status}}'"
"""The help of every listing's ``--format``."""
_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.S)
MIN_WIDTH, PADDING = 10, 3


def is_template(fmt: str) -> bool:
    """Anything but docker's two names for its own layouts is a template."""
    return fmt not in ("table", "json")


def render(fmt: str, rows: Sequence[Mapping[str, Any]],
           headers: Mapping[str, str] | None = None) -> str:
    """Every row through the template (one line each), or, for ``table …``, a
    header and the aligned rows."""
    body = fmt.replace("\\t", "\t").replace("\\n", "\n")
    table = body.startswith("table ") or body == "table"
    if table:
        body = body[len("table"):].lstrip(" ")
    _check(body)
    lines = [_expand(body, row) for row in rows]
    if not table:
        return "\n".join(lines)
    header = _ACTION.sub(lambda m: _header(m.group(1), headers or {}), body)
    return _tabwrite([header, *lines])


def _check(body: str) -> None:
    """A malformed template is a usage error before anything is printed."""
    leftover = _ACTION.sub("", body)
    if "{{" in leftover or "}}" in leftover:
        raise UsageError(f"invalid --format template {body!r}: unbalanced braces")
    for match in _ACTION.finditer(body):
        _parse(match.group(1))


def _expand(body: str, row: Mapping[str, Any]) -> str:
    return _ACTION.sub(lambda m: _text(_evaluate(m.group(1), row)), body)


def _parse(action: str) -> list[str]:
    try:
        words = shlex.split(action, posix=True)
    except ValueError:
        raise UsageError(f"invalid --format template action {{{{{action}}}}}") from None
    if not words:
        raise UsageError("invalid --format template: an empty {{ }}")
    if len(words) > 1 and words[0] not in _FUNCTIONS:
        raise UsageError(f"invalid --format template: unknown function {words[0]!r}")
    return words


def _field(path: str, row: Mapping[str, Any]) -> Any:
    if path == ".":
        return row
    if not path.startswith("."):
        return path  # a literal argument (join's separator)
    value: Any = row
    for name in path[1:].split("."):
        if not isinstance(value, Mapping) or name not in value:
            raise UsageError(f"invalid --format template: no field {path}")
        value = value[name]
    return value


def _evaluate(action: str, row: Mapping[str, Any]) -> Any:
    words = _parse(action)
    if len(words) == 1:
        return _field(words[0], row)
    function, *arguments = words
    return _FUNCTIONS[function]([_field(a, row) for a in arguments])


def _join(arguments: list[Any]) -> str:
    items, separator = arguments[0], str(arguments[1]) if len(arguments) > 1 else ""
    return separator.join(_text(i) for i in items) if isinstance(items, list) else _text(items)


def _truncate(arguments: list[Any]) -> str:
    text, size = _text(arguments[0]), int(arguments[1]) if len(arguments) > 1 else 0
    return text[:size] if size > 0 else text


_FUNCTIONS: dict[str, Any] = {
    "json": lambda a: json.dumps(a[0], separators=(",", ":")),
    "upper": lambda a: _text(a[0]).upper(),
    "lower": lambda a: _text(a[0]).lower(),
    "title": lambda a: _text(a[0]).title(),
    "join": _join,
    "truncate": _truncate,
}


def _text(value: Any) -> str:
    """A value as Go's template prints it: strings as they are, numbers plainly,
    maps and lists in Go's ``map[k:v]`` / ``[a b]`` forms, nil as ``<no value>``."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_text(v)}" for k, v in sorted(value.items())) + "]"
    if isinstance(value, list):
        return "[" + " ".join(_text(v) for v in value) + "]"
    return str(value)


def _header(action: str, headers: Mapping[str, str]) -> str:
    """A column's title: the listing's own name for the field, else the field's name
    in capitals with its words apart (``RunningFor`` -> ``RUNNING FOR``)."""
    words = _parse(action)
    field = next((w for w in words if w.startswith(".")), "")
    name = field.rsplit(".", 1)[-1]
    if name in headers:
        return headers[name]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).upper()


def _tabwrite(lines: Sequence[str]) -> str:
    """Go's tabwriter as docker sets it: tab-separated cells, each column as wide as
    its widest cell plus padding (at least 10), the last cell of a line as it is."""
    rows = [line.split("\t") for line in lines]
    columns = max((len(r) for r in rows), default=0)
    widths = [max([MIN_WIDTH, *(len(r[i]) + PADDING for r in rows if i < len(r) - 1)])
              for i in range(columns)]
    return "\n".join("".join(cell.ljust(widths[i]) if i < len(row) - 1 else cell
                             for i, cell in enumerate(row)).rstrip()
                     for row in rows)
