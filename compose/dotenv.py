"""The project's ``.env`` file: ``KEY=VALUE`` lines as docker compose reads them.

Comments and blank lines are skipped, ``export`` is allowed, single quotes are
literal, double quotes understand ``\\n``, ``\\t``, ``\\"`` and ``\\\\`` and may
span lines; an unquoted value ends at `` #``.
"""

from __future__ import annotations

import re

_KEY = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=?)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "\\$"}


class DotenvError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def parse_dotenv(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        number = index + 1
        index += 1
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _KEY.match(line)
        if match is None:
            raise DotenvError(number, f"unexpected character in {stripped[:20]!r}")
        key, equals = match.group(1), match.group(2)
        rest = line[match.end():]
        if not equals:
            if rest.strip() and not rest.strip().startswith("#"):
                raise DotenvError(number, f"key {key!r} must be followed by '='")
            continue  # a bare KEY: take it from the environment, if set
        rest = rest.lstrip()
        if rest[:1] in {"'", '"'}:
            quote = rest[0]
            body = rest[1:]
            while _closing(body, quote) < 0:
                if index >= len(lines):
                    raise DotenvError(number, f"unterminated quoted value for {key!r}")
                body += "\n" + lines[index]
                index += 1
            end = _closing(body, quote)
            value = body[:end]
            values[key] = value if quote == "'" else _unescape(value)
        else:
            value = re.split(r"\s#", rest, maxsplit=1)[0]
            values[key] = value.strip()
    return values


def _closing(body: str, quote: str) -> int:
    position = 0
    while position < len(body):
        if body[position] == "\\" and quote == '"':
            position += 2
            continue
        if body[position] == quote:
            return position
        position += 1
    return -1


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), value)
