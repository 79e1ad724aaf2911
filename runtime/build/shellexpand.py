"""Docker's word expansion for Dockerfile arguments (pure), as BuildKit's
``shell.Lex`` does it.

Outside quotes the escape character makes the next character literal; single
quotes keep everything literal; inside double quotes the escape character only
escapes ``"``, ``$`` and itself.  ``$name`` and ``${name}`` expand, with the
modifiers ``${a:-word}`` (unset or empty), ``${a-word}`` (unset), ``${a:+word}``,
``${a+word}``, ``${a:?message}``, ``${a?message}`` and the patterns ``#``, ``##``,
``%``, ``%%``.  An unset variable expands to nothing.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from common.errors import BuildError

_NAME_START = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
_NAME = _NAME_START + "0123456789"


class _Lexer:
    def __init__(self, text: str, env: Mapping[str, str], escape: str) -> None:
        self.text = text
        self.pos = 0
        self.env = env
        self.escape = escape

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def next(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def words(self, split: bool, stop: str = "") -> list[str]:
        """The words of the text (one word unless ``split``); ``stop`` ends the scan
        at an unquoted character (a ``}`` of a modifier's word)."""
        words: list[str] = []
        word = ""
        started = False
        while self.pos < len(self.text):
            char = self.peek()
            if stop and char in stop:
                break
            self.pos += 1
            if split and char in " \t\n":
                if started:
                    words.append(word)
                word, started = "", False
                continue
            started = True
            if char == self.escape:
                if self.pos < len(self.text):
                    word += self.next()
                else:
                    word += char
            elif char == "'":
                word += self._single()
            elif char == '"':
                word += self._double()
            elif char == "$":
                word += self._dollar()
            else:
                word += char
        if started or not split:
            words.append(word)
        return words

    def _single(self) -> str:
        end = self.text.find("'", self.pos)
        if end < 0:
            raise BuildError(f"unexpected end of statement while looking for matching ' "
                             f"in {self.text!r}")
        value = self.text[self.pos:end]
        self.pos = end + 1
        return value

    def _double(self) -> str:
        value = ""
        while True:
            if self.pos >= len(self.text):
                raise BuildError(f'unexpected end of statement while looking for matching " '
                                 f"in {self.text!r}")
            char = self.next()
            if char == '"':
                return value
            if char == self.escape and self.peek() in ('"', "$", self.escape):
                value += self.next()
            elif char == "$":
                value += self._dollar()
            else:
                value += char

    def _name(self) -> str:
        start = self.pos
        while self.peek() and self.peek() in _NAME:
            self.pos += 1
        return self.text[start:self.pos]

    def _dollar(self) -> str:
        char = self.peek()
        if char == "{":
            self.pos += 1
            return self._braced()
        if char and char in _NAME_START:
            return self.env.get(self._name(), "")
        return "$"

    def _braced(self) -> str:
        name = self._name()
        if not name:
            raise BuildError(f"bad substitution in {self.text!r}")
        char = self.next()
        if char == "}":
            return self.env.get(name, "")
        value = self.env.get(name)
        if char == ":":
            modifier = ":" + self.next()
        elif char in "#%" and self.peek() == char:
            self.pos += 1
            modifier = char * 2
        else:
            modifier = char
        if modifier not in (":-", ":+", ":?", "-", "+", "?", "#", "##", "%", "%%"):
            raise BuildError(f"unsupported modifier ({modifier}) in substitution "
                             f"{self.text!r}")
        word = "".join(self.words(split=False, stop="}"))
        if self.next() != "}":
            raise BuildError(f"missing '}}' in substitution {self.text!r}")
        unset_or_empty = not value
        if modifier in (":-", "-"):
            use_word = unset_or_empty if modifier == ":-" else value is None
            return word if use_word else (value or "")
        if modifier in (":+", "+"):
            present = not unset_or_empty if modifier == ":+" else value is not None
            return word if present else ""
        if modifier in (":?", "?"):
            missing = unset_or_empty if modifier == ":?" else value is None
            if missing:
                raise BuildError(f"{name}: {word or 'is not allowed to be unset'}")
            return value or ""
        return _trim(value or "", modifier, word)


def _trim(value: str, modifier: str, pattern: str) -> str:
    """``#``/``##`` remove the shortest/longest matching prefix, ``%``/``%%`` suffix."""
    cuts = range(len(value) + 1)
    if modifier in ("#", "##"):
        for cut in (cuts if modifier == "#" else reversed(cuts)):
            if fnmatch.fnmatchcase(value[:cut], pattern):
                return value[cut:]
        return value
    for cut in (reversed(cuts) if modifier == "%" else cuts):
        if fnmatch.fnmatchcase(value[cut:], pattern):
            return value[:cut]
    return value


def expand_word(text: str, env: Mapping[str, str], escape: str = "\\") -> str:
    """One word: quotes removed, variables expanded, spaces kept."""
    return _Lexer(text, env, escape).words(split=False)[0]


def expand_words(text: str, env: Mapping[str, str], escape: str = "\\") -> list[str]:
    """Words split on unquoted whitespace, each expanded."""
    return _Lexer(text, env, escape).words(split=True)


def split_keeping_quotes(text: str, escape: str = "\\") -> list[str]:
    """Words split on unquoted whitespace with quotes and escapes left in place
    (``ENV a="b c" d=e`` -> ``a="b c"``, ``d=e``), for key=value instructions."""
    words: list[str] = []
    word = ""
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        index += 1
        if quote:
            word += char
            if char == escape and quote == '"' and index < len(text):
                word += text[index]
                index += 1
            elif char == quote:
                quote = ""
        elif char == escape and index < len(text):
            word += char + text[index]
            index += 1
        elif char in "'\"":
            quote = char
            word += char
        elif char in " \t\n":
            if word:
                words.append(word)
            word = ""
        else:
            word += char
    if quote:
        raise BuildError(f"unmatched {quote} in {text!r}")
    if word:
        words.append(word)
    return words


def key_values(text: str, env: Mapping[str, str], escape: str, instruction: str,
               *, legacy: bool = True) -> list[tuple[str, str]]:
    """``ENV``/``LABEL`` arguments: ``k=v k2="v 2"`` with the values expanded, or the
    legacy one-pair ``k v`` form (``ENV``, ``LABEL``)."""
    words = split_keeping_quotes(text, escape)
    if not words:
        raise BuildError(f"{instruction} requires at least one argument")
    if "=" not in words[0]:
        if not legacy or len(words) < 2:
            raise BuildError(f"{instruction} names must be followed by =value: {text!r}")
        key = words[0]
        value = text.strip()[len(key):].strip()
        return [(key, expand_word(value, env, escape))]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise BuildError(f"{instruction}: {word!r} is not key=value")
        pairs.append((expand_word(key, env, escape), expand_word(value, env, escape)))
    return pairs
