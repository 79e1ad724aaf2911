"""Splitting a ``command``/``entrypoint`` string into words, as docker compose does
(``go-shellwords``, no variable or backtick expansion).

This is not a POSIX shell: a backslash escapes any character outside single
quotes (also inside double quotes: ``"a\\nb"`` is ``anb``), backticks and
``$(...)`` keep their spaces and their characters, and an unquoted ``;``, ``&``,
``|``, ``<`` or ``>`` ends the command: what follows is dropped.
"""

from __future__ import annotations

_SPACES = " \t\r\n"
_STOPS = ";&|<>"


class ShellwordsError(ValueError):
    pass


def split(line: str) -> list[str]:
    words: list[str] = []
    word = ""
    started = False  # a word is under way, even an empty quoted one
    escaped = single = double = backquote = dollar = False
    for char in line:
        if escaped:
            word, escaped, started = word + char, False, True
            continue
        if char == "\\":
            if single:
                word += char
            else:
                escaped = True
            continue
        if char in _SPACES:
            if single or double or backquote or dollar:
                word += char
            elif started:
                words.append(word)
                word, started = "", False
            continue
        if char == "`" and not (single or double or dollar):
            backquote = not backquote
        elif char == ")" and not (single or double or backquote):
            dollar = not dollar
        elif char == "(" and not (single or double or backquote):
            if dollar or not word.endswith("$"):
                raise ShellwordsError("invalid command line string")
            dollar = True
            word += char
            continue
        elif char == '"' and not (single or dollar):
            started = started or double
            double = not double
            continue
        elif char == "'" and not (double or dollar):
            started = started or single
            single = not single
            continue
        elif char in _STOPS and not (single or double or backquote or dollar):
            if char == ">" and word[:1].isdigit():
                started = False  # a redirection like 2>: its number is no word
            break
        word += char
        started = True
    if started:
        words.append(word)
    if escaped or single or double or backquote or dollar:
        raise ShellwordsError("invalid command line string")
    return words
