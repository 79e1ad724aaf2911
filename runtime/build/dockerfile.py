"""Reading a Dockerfile into instructions (pure), as BuildKit's parser reads it.

Parser directives (``# syntax=``, ``# escape=``) are only recognised before the
first comment, blank line or instruction.  A line ending in the escape character
continues on the next one; comment lines and blank lines inside a continuation
are skipped.  ``RUN``, ``COPY`` and ``ADD`` may carry here-documents
(``<<EOF``, ``<<-EOF``, ``<<"EOF"``) whose bodies follow the instruction's line.
Leading ``--name=value`` words are the instruction's flags; a JSON list of
strings is the exec form.  Nothing here expands variables (``shellexpand``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from common.errors import BuildError

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*(['\"]?)([a-zA-Z_][a-zA-Z0-9_]*)\2")
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
FLAG_INSTRUCTIONS = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
KNOWN = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
    "WORKDIR",
})


@dataclass(frozen=True)
class Heredoc:
    name: str
    content: str
    expand: bool
    """False when the delimiter was quoted: the body is taken literally."""
    chomp: bool = False


@dataclass(frozen=True)
class Instruction:
    keyword: str
    """Upper case: ``RUN``, ``COPY``..."""
    rest: str
    """The arguments after the flags, continuations joined, not expanded."""
    line: int
    flags: tuple[tuple[str, str | None], ...] = ()
    heredocs: tuple[Heredoc, ...] = ()
    original: str = ""

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON list form (``["a", "b"]``), or None for the shell form."""
        return json_list(self.rest)

    def flag(self, name: str) -> str | None:
        for key, value in self.flags:
            if key == name:
                return value if value is not None else "true"
        return None

    def flag_all(self, name: str) -> list[str]:
        return [value or "" for key, value in self.flags if key == name]

    def __str__(self) -> str:
        return self.original or f"{self.keyword} {self.rest}"


@dataclass(frozen=True)
class Dockerfile:
    instructions: tuple[Instruction, ...]
    directives: dict[str, str] = field(default_factory=dict)
    escape: str = "\\"


def json_list(text: str) -> list[str] | None:
    """The exec form's arguments, or None for the shell form.  As in Docker, only a
    JSON list of strings is exec form (``["a", 1]`` is not); shared with
    ``importer`` so ``import --change`` reads ``CMD`` as a build does."""
    text = text.strip()
    if not text.startswith("["):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value


def split_flags(text: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    """Leading ``--name[=value]`` words and the text after them."""
    flags: list[tuple[str, str | None]] = []
    rest = text.lstrip()
    while rest.startswith("--"):
        match = re.match(r"--([a-zA-Z][a-zA-Z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|\S)*))?(\s+|$)",
                         rest)
        if match is None:
            break
        value = match.group(2)
        if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        flags.append((match.group(1).lower(), value))
        rest = rest[match.end():]
    return tuple(flags), rest


def parse(text: str, name: str = "Dockerfile") -> Dockerfile:
    """The instructions of a Dockerfile; BuildError (``name:line``) on a bad line."""
    lines = text.replace("\r\n", "\n").split("\n")
    directives: dict[str, str] = {}
    index = 0
    while index < len(lines):
        match = _DIRECTIVE.match(lines[index].strip())
        if match is None or not lines[index].lstrip().startswith("#"):
            break
        key = match.group(1).lower()
        if key in directives:
            raise BuildError(f"{name}:{index + 1}: only one {key} parser directive can be used")
        directives[key] = match.group(2)
        index += 1
    escape = directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        raise BuildError(f"{name}: invalid escape token {escape!r} (\\ or ` only)")
    instructions: list[Instruction] = []
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        start = index
        logical, index = _logical_line(lines, index, escape)
        keyword, _, args = logical.strip().partition(" ")
        if not args and "\t" in keyword:
            keyword, _, args = keyword.partition("\t")
        keyword = keyword.upper()
        if keyword not in KNOWN:
            raise BuildError(f"{name}:{start + 1}: unknown instruction: {keyword}")
        flags: tuple[tuple[str, str | None], ...] = ()
        args = args.strip()
        if keyword in FLAG_INSTRUCTIONS:
            flags, args = split_flags(args)
        heredocs: list[Heredoc] = []
        if keyword in HEREDOC_INSTRUCTIONS and json_list(args) is None:
            for match in _HEREDOC.finditer(args):
                body, index = _heredoc_body(lines, index, match.group(3), bool(match.group(1)),
                                            name, start)
                heredocs.append(Heredoc(match.group(3), body, not match.group(2),
                                        bool(match.group(1))))
        if keyword == "ONBUILD" and args.split(None, 1)[0].upper() in ("ONBUILD", "FROM",
                                                                         "MAINTAINER"):
            raise BuildError(f"{name}:{start + 1}: {args.split()[0].upper()} isn't allowed "
                             "as an ONBUILD trigger")
        instructions.append(Instruction(keyword, args, start + 1, flags, tuple(heredocs),
                                        logical.strip()))
    return Dockerfile(tuple(instructions), directives, escape)


def _logical_line(lines: list[str], index: int, escape: str) -> tuple[str, int]:
    """One instruction's text with its continuations joined; the next line's index."""
    parts: list[str] = []
    while index < len(lines):
        raw = lines[index]
        index += 1
        if parts and (not raw.strip() or raw.lstrip().startswith("#")):
            continue  # comments and blank lines inside a continuation
        body = raw.rstrip()
        if body.endswith(escape):
            parts.append(body[:-1])
            continue
        parts.append(raw)
        break
    return "".join(parts), index


def _heredoc_body(lines: list[str], index: int, word: str, chomp: bool, name: str,
                  start: int) -> tuple[str, int]:
    body: list[str] = []
    while index < len(lines):
        line = lines[index]
        index += 1
        check = line.lstrip("\t") if chomp else line
        if check == word:
            return "".join(f"{b}\n" for b in body), index
        body.append(line.lstrip("\t") if chomp else line)
    raise BuildError(f"{name}:{start + 1}: here-document {word!r} is not terminated")


def instruction_from_text(text: str, line: int = 0) -> Instruction:
    """One instruction (an ``ONBUILD`` trigger) parsed on its own."""
    parsed = parse(text)
    if len(parsed.instructions) != 1:
        raise BuildError(f"invalid instruction {text!r}")
    found = parsed.instructions[0]
    return Instruction(found.keyword, found.rest, line, found.flags, found.heredocs,
                       found.original)
