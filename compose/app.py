"""The composition root: the command line with this host's real backends.  The
``pycompose`` command and ``python -m compose`` start here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None,
         cwd: str | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    from compose.cli.main import main as cli_main
    from compose.wiring import LocalHost

    return cli_main(argv, host=LocalHost(), environ=environ, cwd=cwd, stdout=stdout,
                    stderr=stderr)
