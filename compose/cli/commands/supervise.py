"""``pycompose supervise`` (internal): the project's supervisor process.

Started by ``up``; runs until ``down`` or SIGTERM.  Its log is JSON lines in the
project's state directory (``supervisor.log``).
"""

from __future__ import annotations

import argparse

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.supervisor.process import supervise


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("supervise", help=argparse.SUPPRESS)
    parser.set_defaults(prepare=prepare)
    verbs._choices_actions.pop()  # internal: not listed in --help


def prepare(inv: Invocation) -> Prepared:
    project = inv.args.project_name
    if not project:
        raise UsageError("supervise needs -p PROJECT")
    return lambda ctx: supervise(ctx, str(project), inv.environ)
