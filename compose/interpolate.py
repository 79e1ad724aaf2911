"""Loader phase 2: ``${VAR}`` interpolation in values, as the Compose spec defines it.

``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``,
``${VAR?error}``, ``${VAR:+replacement}``, ``${VAR+replacement}``, with nesting in
defaults, and ``$$`` for a literal ``$``.  Keys are never interpolated.  An unset
variable with no default becomes empty and is reported through ``warn``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from compose.parse import Document, KeyPath

_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")


class InterpolationError(ValueError):
    pass


def substitute(text: str, env: Mapping[str, str], warn: Callable[[str], None]) -> str:
    return _scan(text, 0, env, warn, closing=False)[0]


def _scan(text: str, position: int, env: Mapping[str, str], warn: Callable[[str], None],
          *, closing: bool) -> tuple[str, int]:
    """Substitute from ``position``; with ``closing``, stop at an unmatched ``}``."""
    out: list[str] = []
    while position < len(text):
        char = text[position]
        if closing and char == "}":
            return "".join(out), position
        if char != "$":
            out.append(char)
            position += 1
            continue
        following = text[position + 1: position + 2]
        if following == "$":
            out.append("$")
            position += 2
        elif following == "{":
            value, position = _braced(text, position + 2, env, warn)
            out.append(value)
        else:
            match = _NAME.match(text, position + 1)
            if match is None:
                out.append("$")
                position += 1
                continue
            out.append(_lookup(match.group(), env, warn))
            position = match.end()
    if closing:
        raise InterpolationError(f"invalid interpolation format for {text!r}: missing '}}'")
    return "".join(out), position


def _braced(text: str, position: int, env: Mapping[str, str],
            warn: Callable[[str], None]) -> tuple[str, int]:
    match = _NAME.match(text, position)
    if match is None:
        raise InterpolationError(f"invalid interpolation format for {text!r}")
    name = match.group()
    position = match.end()
    if text[position: position + 1] == "}":
        return _lookup(name, env, warn), position + 1
    operator = ""
    for candidate in (":-", ":?", ":+", "-", "?", "+"):
        if text.startswith(candidate, position):
            operator = candidate
            break
    if not operator:
        raise InterpolationError(f"invalid interpolation format for {text!r}")
    # The argument is expanded only if it is used; here only its end is found.
    raw_start = position + len(operator)
    end = _matching_brace(text, raw_start)
    value = env.get(name)
    empty_counts = operator.startswith(":")
    is_set = value is not None and (value != "" or not empty_counts)
    position = end + 1
    if operator in (":-", "-"):
        if is_set:
            return str(value), position
        return _scan(text[raw_start:end], 0, env, warn, closing=False)[0], position
    if operator in (":?", "?"):
        if is_set:
            return str(value), position
        message = _scan(text[raw_start:end], 0, env, warn, closing=False)[0]
        raise InterpolationError(f"required variable {name} is missing a value: {message}")
    if is_set:  # ":+" and "+"
        return _scan(text[raw_start:end], 0, env, warn, closing=False)[0], position
    return "", position


def _matching_brace(text: str, position: int) -> int:
    """The index of the ``}`` closing an argument that starts at ``position``."""
    depth = 0
    while position < len(text):
        if text.startswith("$$", position):
            position += 2
            continue
        if text.startswith("${", position):
            depth += 1
            position += 2
            continue
        if text[position] == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1
    raise InterpolationError(f"invalid interpolation format for {text!r}: missing '}}'")


def _lookup(name: str, env: Mapping[str, str], warn: Callable[[str], None]) -> str:
    value = env.get(name)
    if value is None:
        warn(f'The "{name}" variable is not set. Defaulting to a blank string.')
        return ""
    return value


def interpolate(document: Document, env: Mapping[str, str],
                warn: Callable[[str], None]) -> Document:
    """A copy of ``document`` with every string value interpolated."""
    seen: set[str] = set()

    def warn_once(message: str) -> None:
        if message not in seen:
            seen.add(message)
            warn(message)

    def walk(value: Any, path: KeyPath) -> Any:
        if isinstance(value, str):
            try:
                return substitute(value, env, warn_once)
            except InterpolationError as exc:
                raise document.error(path, str(exc)) from None
        if isinstance(value, dict):
            return {k: walk(v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, (*path, i)) for i, v in enumerate(value)]
        return value

    return Document(document.file, walk(document.data, ()), document.positions)
