"""Loader phase 2: ``${VAR}`` interpolation of values, exactly as compose-go does it.

The grammar is compose-go's (``template/template.go``), quirks included, because a
file that docker compose accepts must mean the same thing here: a regular
expression finds ``$$``, ``$NAME`` and ``${...}``; a braced expression with an
operator first swallows everything up to the last ``}`` of the line, is then cut
at its first balanced ``}``, and the rest is substituted on its own.  The operator
is the first of ``:?``, ``?``, ``:-``, ``-``, ``:+``, ``+`` after the name, and its
argument is always substituted (so unused defaults still warn and fail).

Values are interpolated, keys never; afterwards strings at known typed paths are
cast (``cpus: ${X}`` becomes a number) as compose-go's loader does.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # not imported to read a .env file: parsing YAML needs PyYAML
    from typing import Any

    from compose.spec.load.parse import Document, KeyPath
    from compose.spec.load.pathtable import PathTable

Warn = Callable[[str], None]

_NAME = r"[_a-zA-Z][_a-zA-Z0-9]*"
PATTERN = re.compile(
    rf"\$(?:(?P<escaped>\$)|(?P<named>{_NAME})"
    rf"|\{{(?:(?P<braced>{_NAME}(?::?[-+?].*)?)\}}|(?P<invalid>)))"
)
_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


class InterpolationError(ValueError):
    """A template cannot be substituted; the message is compose-go's."""


class InvalidTemplate(InterpolationError):
    def __init__(self, template: str) -> None:
        self.template = template
        super().__init__(f"Invalid template: {go_quote(template)}")


class MissingRequired(InterpolationError):
    def __init__(self, variable: str, reason: str) -> None:
        self.variable, self.reason = variable, reason
        message = f"required variable {variable} is missing a value"
        super().__init__(f"{message}: {reason}" if reason else message)


class TreeError(InterpolationError):
    """A failure at ``path`` of a model, worded as compose-go's ``Interpolate``."""

    def __init__(self, path: KeyPath, message: str) -> None:
        self.path = path
        super().__init__(message)


def go_quote(text: str) -> str:
    """Go's ``%q`` of a string, for messages that quote user input as docker does."""
    escapes = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
    return '"' + "".join(escapes.get(c, c) for c in text) + '"'


def _unset_warning(name: str) -> str:
    return f'The "{name}" variable is not set. Defaulting to a blank string.'


def substitute(template: str, env: Mapping[str, str], warn: Warn) -> str:
    """``template`` with every variable replaced; the first error wins, as in Go."""
    out: list[str] = []
    position = 0
    error: InterpolationError | None = None
    for match in PATTERN.finditer(template):
        out.append(template[position:match.start()])
        position = match.end()
        try:
            out.append(_replace(match.group(), env, warn))
        except InvalidTemplate as exc:
            error = error or (exc if exc.template else InvalidTemplate(template))
        except InterpolationError as exc:
            error = error or exc
    if error is not None:
        raise error
    out.append(template[position:])
    return "".join(out)


def _replace(substring: str, env: Mapping[str, str], warn: Warn) -> str:
    operator = first_operator(substring)
    rest = ""
    close = _closing_brace(substring)
    if close >= 0:
        substring, rest = substring[:close + 1], substring[close + 1:]
    match = PATTERN.search(substring)
    if match is None:
        raise InvalidTemplate("")
    if match.group("escaped"):
        return "$"
    name = match.group("named")
    if not name:
        braced = match.group("braced")
        if not braced:
            raise InvalidTemplate("")
        if operator is not None and operator in braced:
            return _apply(operator, braced, env, warn) + substitute(rest, env, warn)
        name = braced
    value = env.get(name)
    if value is None:
        warn(_unset_warning(name))
        return ""
    return value


def first_operator(text: str) -> str | None:
    """The operator that governs a ``${...}``: the earliest in the text, as in Go."""
    found = [(text.find(op), op) for op in _OPERATORS if op in text]
    return min(found)[1] if found else None


def _closing_brace(text: str) -> int:
    """compose-go's getFirstBraceClosingIndex, including its skip after each ``{``."""
    depth = 0
    index = 0
    while index < len(text):
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        if text[index] == "{":
            depth += 1
            index += 1
        index += 1
    return -1


def _apply(operator: str, braced: str, env: Mapping[str, str], warn: Warn) -> str:
    name, argument = braced.split(operator, 1)
    argument = substitute(argument, env, warn)
    value = env.get(name)
    if operator == ":-":
        return value if value else argument
    if operator == "-":
        return argument if value is None else value
    if operator == ":+":
        return argument if value else ""
    if operator == "+":
        return "" if value is None else argument
    if value is None or (operator == ":?" and value == ""):
        raise MissingRequired(name, argument)
    return value


# --- typed paths: compose-go's interpolateTypeCastMapping -------------------------------

_INT_RE = re.compile(r"[+-]?[0-9]+")
_FLOAT_RE = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)",
    re.IGNORECASE)


def _to_int(function: str) -> Callable[[str], Any]:
    def cast(value: str) -> Any:
        if not _INT_RE.fullmatch(value):
            raise ValueError(f"strconv.{function}: parsing {go_quote(value)}: invalid syntax")
        number = int(value)
        if not -(2**63) <= number < 2**63:
            raise ValueError(f"strconv.{function}: parsing {go_quote(value)}: value out of range")
        return number
    return cast


def _to_float(value: str) -> Any:
    if not _FLOAT_RE.fullmatch(value):
        raise ValueError(f"strconv.ParseFloat: parsing {go_quote(value)}: invalid syntax")
    return float(value)


_BOOLEANS = {"true": True, "false": False, "y": True, "yes": True, "on": True,
             "n": False, "no": False, "off": False}


def _boolean_caster(warn: Warn) -> Callable[[str], Any]:
    def cast(value: str) -> Any:
        lowered = value.lower()
        if lowered not in _BOOLEANS:
            raise ValueError(f"invalid boolean: {value}")
        result = _BOOLEANS[lowered]
        if lowered not in ("true", "false"):
            warn(f"{go_quote(value)} for boolean is not supported by YAML 1.2, "
                 f"please use `{str(result).lower()}`")
        return result
    return cast


CastTable = Mapping[tuple[str, ...], str]  # path pattern ("*" any key, "[]" an item) -> kind
_INT, _INT64, _FLOAT, _BOOL = "int", "int64", "float", "bool"
_SERVICE_CASTS = {
    "cpu_count": _INT64, "cpu_percent": _FLOAT, "cpu_period": _INT64, "cpu_quota": _INT64,
    "cpu_rt_period": _INT64, "cpu_rt_runtime": _INT64, "cpus": _FLOAT, "cpu_shares": _INT64,
    "init": _BOOL, "deploy.replicas": _INT, "deploy.update_config.parallelism": _INT,
    "deploy.update_config.max_failure_ratio": _FLOAT, "deploy.rollback_config.parallelism": _INT,
    "deploy.rollback_config.max_failure_ratio": _FLOAT,
    "deploy.restart_policy.max_attempts": _INT, "deploy.placement.max_replicas_per_node": _INT,
    "healthcheck.retries": _INT, "healthcheck.disable": _BOOL, "oom_kill_disable": _BOOL,
    "oom_score_adj": _INT64, "pids_limit": _INT64, "ports.[].target": _INT, "privileged": _BOOL,
    "read_only": _BOOL, "scale": _INT, "stdin_open": _BOOL, "tty": _BOOL, "ulimits.*": _INT,
    "ulimits.*.hard": _INT, "ulimits.*.soft": _INT, "volumes.[].read_only": _BOOL,
    "volumes.[].volume.nocopy": _BOOL,
}
CASTS: CastTable = {
    **{("services", "*", *path.split(".")): kind for path, kind in _SERVICE_CASTS.items()},
    **{(section, "*", key): _BOOL for section, key in (
        ("networks", "external"), ("networks", "internal"), ("networks", "attachable"),
        ("networks", "enable_ipv4"), ("networks", "enable_ipv6"), ("volumes", "external"),
        ("secrets", "external"), ("configs", "external"))},
}


def _caster(parts: tuple[str, ...], casts: CastTable,
            warn: Warn) -> Callable[[str], Any] | None:
    kind = (_casts_table() if casts is CASTS else _table(casts)).lookup(parts)
    if kind is None:
        return None
    if kind == _BOOL:
        return _boolean_caster(warn)
    if kind == _FLOAT:
        return _to_float
    return _to_int("Atoi" if kind == _INT else "ParseInt")


@functools.cache
def _casts_table() -> PathTable[str]:
    """Made at the first interpolation of a file: reading a ``.env`` needs none."""
    return _table(CASTS)


def _table(casts: CastTable) -> PathTable[str]:
    from compose.spec.load.pathtable import PathTable  # its typing: not for a .env

    return PathTable(casts)


def interpolate_tree(data: Any, env: Mapping[str, str], warn: Warn, *,
                     casts: CastTable = CASTS) -> Any:
    """compose-go's ``Interpolate``: every string value substituted, then cast where
    ``casts`` says (int, int64, float, bool); a failure is a ``TreeError`` worded as
    docker compose words it."""

    def walk(value: Any, parts: tuple[str, ...], path: KeyPath) -> Any:
        if isinstance(value, str):
            dotted = ".".join(parts)
            try:
                result = substitute(value, env, warn)
            except InvalidTemplate as exc:
                raise TreeError(path, f"invalid interpolation format for {dotted}.\n"
                                      f"You may need to escape any $ with another $.\n"
                                      f"{exc.template}") from None
            except InterpolationError as exc:
                raise TreeError(path, f"error while interpolating {dotted}: {exc}") from None
            caster = _caster(parts, casts, warn)
            if caster is None:
                return result
            try:
                return caster(result)
            except ValueError as exc:
                raise TreeError(path, f"error while interpolating {dotted}: "
                                      f"failed to cast to expected type: {exc}") from None
        if isinstance(value, dict):
            return {k: walk(v, (*parts, str(k)), (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*parts, "[]"), (*path, i)) for i, v in enumerate(value)]
        return value

    return walk(data, (), ())


def interpolate(document: Document, env: Mapping[str, str], warn: Warn) -> Document:
    """A copy of ``document`` with its values interpolated; errors point at the value.

    Each warning is reported once per document (docker repeats them)."""
    seen: set[str] = set()

    def warn_once(message: str) -> None:
        if message not in seen:
            seen.add(message)
            warn(message)

    try:
        data = interpolate_tree(document.data, env, warn_once)
    except TreeError as exc:
        raise document.error(exc.path, str(exc).replace("\n", " ")) from None
    return dataclasses.replace(document, data=data)
