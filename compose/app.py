"""The composition root: the command line with this host's real backends.  The
``pycompose`` command and ``python -m compose`` start here."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None,
         cwd: str | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    from compose.cli.main import ENDS_AT_ONCE, requested_verb
    from compose.cli.main import main as cli_main
    from compose.wiring import LocalHost

    code = cli_main(argv, host=LocalHost(), environ=environ, cwd=cwd, stdout=stdout,
                    stderr=stderr)
    if argv is None and requested_verb(sys.argv[1:]) in ENDS_AT_ONCE:
        # A verb that only read files and printed (config, convert), waited for
        # the runtime (exec) or supervised (its lock and files already let go) has
        # nothing to tear down: the interpreter's freeing of every module and
        # object is skipped, and with it the exit handlers (the code cache's save).
        from common import codecache

        codecache.save()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):  # a closed pipe: as at a normal exit
                stream.flush()
        os._exit(code)
    return code
