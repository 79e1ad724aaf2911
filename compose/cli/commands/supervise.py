"""``pycompose supervise`` (internal): the project's supervisor process.

Started by ``up`` (ahead of need, with ``--standby``, which waits to be handed a
project); runs until ``down`` or SIGTERM.  Its log is JSON lines in the
project's state directory (``supervisor.log``).
"""

from __future__ import annotations

import argparse

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.supervisor.dismissal import end_if_dismissed
from compose.supervisor.plainlog import import_structlog


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("supervise", help=argparse.SUPPRESS)
    parser.add_argument("--standby", metavar="GO,READY", help=argparse.SUPPRESS)
    parser.set_defaults(prepare=prepare)
    verbs._choices_actions.pop()  # internal: not listed in --help


def prepare(inv: Invocation) -> Prepared:
    if inv.args.standby:  # started ahead by a command (compose/supervisor/standby.py)
        go, _, ready = str(inv.args.standby).partition(",")
        if not (go.isdigit() and ready.isdigit()):
            raise UsageError("supervise --standby needs GO,READY file descriptors")
        with end_if_dismissed(int(go)):  # what a standby is for: the imports, done ahead
            import_structlog()
            from compose.supervisor.process import standby
        return lambda ctx: standby(ctx, int(go), int(ready), inv.environ)
    project = inv.args.project_name
    if not project:
        raise UsageError("supervise needs -p PROJECT")
    import_structlog()
    from compose.supervisor.process import supervise

    return lambda ctx: supervise(ctx, str(project), inv.environ)
