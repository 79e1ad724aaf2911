"""The verb of a command line, found without argparse: the CLI imports only that
verb's module, and the fork server's client decides by it whether to ask."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

_GLOBAL_WITH_VALUE = {"-f", "--file", "-p", "--project-name", "--project-directory",
                      "--env-file", "--profile"}


def requested_verb(argv: Sequence[str]) -> str | None:
    """The verb of a command line: the first word after the global options."""
    index = 0
    while index < len(argv):
        word = argv[index]
        if word in _GLOBAL_WITH_VALUE:
            index += 2
        elif word.startswith("-"):
            index += 1
        else:
            return word
    return None


