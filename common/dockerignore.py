""".dockerignore matching (pure), as moby's ``patternmatcher`` does it.

Each line is a pattern, cleaned like Go's ``filepath.Clean`` (a leading ``/`` is
dropped); ``#`` lines are comments.  ``*``, ``?``, ``[...]`` and ``\\`` follow
Go's ``filepath.Match`` (``*`` never crosses ``/``), ``**`` matches any number of
directories.  A pattern also excludes everything below a directory it matches.
``!`` re-includes; the last matching pattern wins.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Pattern:
    text: str
    exclusion: bool
    """True for ``!pattern`` (re-include)."""

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(_translate(self.text))

    def matches(self, path: str) -> bool:
        """``path`` or one of its parent directories matches."""
        if self.regex.fullmatch(path):
            return True
        parts = path.split("/")
        return any(self.regex.fullmatch("/".join(parts[:n])) for n in range(1, len(parts)))


def _clean(text: str) -> str:
    cleaned = posixpath.normpath(text.strip())
    cleaned = cleaned.lstrip("/")
    return "." if cleaned in ("", ".") else cleaned


def parse_ignore(text: str) -> list[Pattern]:
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
            if not line:
                continue
        cleaned = _clean(line)
        if cleaned == ".":
            continue
        patterns.append(Pattern(cleaned, exclusion))
    return patterns


def _translate(pattern: str) -> str:
    """A regular expression for a Go filepath.Match pattern with ``**``."""
    out = ""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        index += 1
        if char == "*":
            if index < len(pattern) and pattern[index] == "*":
                index += 1
                if index < len(pattern) and pattern[index] == "/":
                    index += 1
                    out += "(?:.*/)?"  # **/ matches zero or more directories
                else:
                    out += ".*"
            else:
                out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "\\" and index < len(pattern):
            out += re.escape(pattern[index])
            index += 1
        elif char == "[":
            end = pattern.find("]", index + 1 if pattern[index:index + 1] in ("^", "!") else
                               index)
            if end < 0:
                out += re.escape(char)
                continue
            body = pattern[index:end]
            index = end + 1
            if body[:1] in ("^", "!"):
                body = "^" + body[1:]
            out += "[" + body.replace("\\", "\\\\") + "]"
        else:
            out += re.escape(char)
    return out


def is_excluded(path: str, patterns: list[Pattern]) -> bool:
    """Whether a context path (relative, ``/``-separated) is left out."""
    excluded = False
    for pattern in patterns:
        if pattern.matches(path):
            excluded = not pattern.exclusion
    return excluded


def may_contain_included(directory: str, patterns: list[Pattern]) -> bool:
    """Whether an excluded directory must still be walked, because a ``!`` pattern
    could re-include something below it."""
    prefix = directory + "/"
    for pattern in patterns:
        if pattern.exclusion and (pattern.text.startswith(prefix) or "*" in pattern.text
                                  or pattern.text.startswith("**")):
            return True
    return False
