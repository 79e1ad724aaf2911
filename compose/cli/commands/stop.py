"""``pycompose stop``: stop running containers without removing them, dependents
first."""

from __future__ import annotations

from compose.cli.invocation import Verbs, project_verb, timeout_arg
from compose.engine.startstop import stop


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "stop", "stop running containers without removing them",
                          lambda ctx, project, services, args: stop(
                              ctx, project, services, args.timeout))
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
