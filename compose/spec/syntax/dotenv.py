"""``.env`` files (``.env``, ``--env-file``, ``env_file:``) as compose-go's dotenv reads them.

compose-go's parser is a scanner with quirks that real files rely on, so this one
follows it step by step: ``KEY=value`` or ``KEY: value``, an optional ``export``,
keys of letters, digits and ``_.-[]``; a bare ``KEY`` line takes the value from the
environment (or is skipped); unquoted values end at the line and at `` #``; single
quotes are literal except ``\\'``; double quotes may span lines and understand
``\\n``-style and ``\\0ddd`` escapes.  Unquoted and double-quoted values are then
interpolated with the environment first, then the file's own earlier keys, then
``defaults`` (the keys of files read before).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from compose.spec.load.interpolate import InterpolationError, go_quote, substitute
from compose.spec.load.reads import Layered

_SPACE = "\t\v\f\r \x85\xa0"  # compose-go's isSpace: blanks, but not a line break
_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0[0-9]{0,3})")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "c": None, "f": "\f", "n": "\n", "r": "\r",
                   "t": "\t", "v": "\v", '"': '"', "\\": "\\"}
_DIGIT_KEY = re.compile(r"\s*\d")


class DotenvError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(message)


def parse_dotenv(text: str, environ: Mapping[str, str] | None = None,
                 defaults: Mapping[str, str] | None = None) -> dict[str, str]:
    """The keys and values ``text`` defines (compose-go's ``ParseWithLookup``)."""
    return _Parser(environ or {}, defaults or {}).parse(text.removeprefix("\ufeff"))


def without_digit_keys(values: Mapping[str, str]) -> dict[str, str]:
    """compose-go's ``dotenv.Read`` drops keys starting with a digit."""
    return {k: v for k, v in values.items() if not _DIGIT_KEY.match(k)}


class _Parser:
    def __init__(self, environ: Mapping[str, str], defaults: Mapping[str, str]) -> None:
        self.environ = environ  # looked up only: a load notes which names (load/reads.py)
        self.defaults = dict(defaults)
        self.line = 1

    def error(self, message: str) -> DotenvError:
        return DotenvError(self.line, f"line {self.line}: {message}")

    def parse(self, src: str) -> dict[str, str]:
        out: dict[str, str] = {}
        while src := self._statement_start(src):
            src = self._statement(src, out)
        return out

    def _statement_start(self, src: str) -> str:
        """``src`` from its next statement, past blank space and ``#`` comments."""
        while True:
            position = next((i for i, c in enumerate(src) if not c.isspace()), -1)
            self.line += src.count("\n", 0, position if position >= 0 else len(src))
            if position < 0:
                return ""
            src = src[position:]
            if src[0] != "#":
                return src
            end = src.find("\n")
            if end < 0:
                return ""
            src = src[end:]

    def _statement(self, src: str, out: dict[str, str]) -> str:
        if _EXPORT.match(src):
            src = src[len("export"):].lstrip(_SPACE)
        key, offset, inherited = self._key_end(src)
        if inherited and " " not in key:
            self.line += 1
        key = key.rstrip()
        rest = src[offset:].lstrip(_SPACE)
        if " " in key:
            raise self.error("key cannot contain a space")
        if inherited:
            if key in self.environ:
                out[key] = self.environ[key]
            return rest
        value, rest = self._value(rest, out)
        out[key] = value
        return rest

    def _key_end(self, src: str) -> tuple[str, int, bool]:
        """The raw key, where its value starts, and whether it is a bare ``KEY`` line."""
        for index, char in enumerate(src):
            if char in _SPACE:
                continue
            if char in "=:\n":
                return src[:index], index + 1, char == "\n"
            if not (char in "_.-[]" or char.isalpha() or char.isnumeric()):
                raise self.error(f"unexpected character {go_quote(char)} in variable name "
                                 f"{go_quote(src.split(chr(10))[0])}")
        return "", 0, False  # no terminator: compose-go reads the whole line as a value

    def _value(self, src: str, out: dict[str, str]) -> tuple[str, str]:
        if src[:1] not in ("'", '"'):
            value, _, rest = src.partition("\n")
            value = self._expand(value.split(" #", 1)[0].rstrip(), out)
            self.line += 1
            return value, rest
        quote = src[0]
        chars: list[str] = []
        escaped = False
        for index in range(1, len(src)):
            char = src[index]
            if char == "\n":
                self.line += 1
            if escaped:
                escaped = False
                chars.append(char if char == quote else "\\" + char)
            elif char == "\\":
                escaped = True
            elif char == quote:
                value = "".join(chars)
                if quote == '"':
                    value = self._expand(_unescape(value), out)
                return value, src[index + 1:]
            else:
                chars.append(char)
        raise self.error(f"unterminated quoted value {src.split(chr(10))[0]}")

    def _expand(self, value: str, out: dict[str, str]) -> str:
        try:
            return substitute(value, Layered(self.environ, out, self.defaults), lambda _: None)
        except InterpolationError as exc:
            raise DotenvError(self.line, str(exc)) from None


def _unescape(value: str) -> str:
    """compose-go's expandEscapes: Go escapes, ``\\0ddd`` octal, ``\\$`` kept as ``$$``."""

    def one(match: re.Match[str]) -> str:
        text = match.group()
        code = text[1:]
        if code == "$":
            return "$$"
        if code.startswith("0"):
            digits = code[1:]
            if len(digits) == 3 and all(c in "01234567" for c in digits) \
                    and int(digits, 8) < 256:
                return chr(int(digits, 8))
            return text
        replacement = _SIMPLE_ESCAPES[code]
        return text if replacement is None else replacement

    return _ESCAPE.sub(one, value)
