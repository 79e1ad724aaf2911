"""The composition root: the command line with this host's real backends.  The
``pycompose`` command and ``python -m compose`` start here."""

from __future__ import annotations

import atexit
import os
import sys

# The command's client imports this module and ``common.forkclient`` only: no
# contextlib or collections (2.6 ms of every served command's start).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import TextIO

forked_by_server = False
"""Set in a fork server's child (``compose/forkserver.py``): it is the command."""
ending: Callable[[int], None] | None = None
"""Told the exit status once the command is done, before its process ends (a fork
server's child tells its command, which need not wait for the teardown)."""


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None,
         cwd: str | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    whole = argv is None  # the command itself, not a test calling in
    serve_next = False
    if whole and not forked_by_server:
        from common import forkclient

        if forkclient.servable(sys.argv[1:], os.environ, terminal_in=os.isatty(0)):
            served = forkclient.run_served(sys.argv)
            if served is not None:
                os._exit(served)
            serve_next = True
    from compose.cli.main import main as cli_main
    from compose.wiring import LocalHost

    code = cli_main(argv, host=LocalHost(finish=finish if whole else None), environ=environ,
                    cwd=cwd, stdout=stdout, stderr=stderr)
    if serve_next:
        forkclient.start_server()  # for the next command, importing while this one ends
    if whole:
        exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the command: its exit handlers run (the netlink worker reaped, the code
    cache saved) and its output flushed, but the interpreter's freeing of every
    module and object is skipped (20-90 ms of each command's end; a supervisor's
    end is what ``down`` waits for).  Nothing else is left to tear down: files
    are closed where they are written, locks and sockets let go by their owners,
    and every thread of ours is a daemon."""
    if finish():
        if ending is not None:
            ending(code)
        os._exit(code)


def finish() -> bool:
    """What must happen before the process ends or becomes another program (``exec
    -T`` becomes the runtime): the exit handlers run, the output is flushed.  False
    when this interpreter cannot run its handlers early (the usual exit will)."""
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_handlers is None:
        return False
    run_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as at a normal exit
            continue
    return True
