"""``pycompose restart``: restart service containers, in dependency order."""

from __future__ import annotations

from compose.cli.invocation import Verbs, project_verb, timeout_arg
from compose.engine.startstop import restart


def register(verbs: Verbs) -> None:
    parser = project_verb(verbs, "restart", "restart service containers",
                          lambda ctx, project, services, args: restart(
                              ctx, project, services, args.timeout, args.no_deps))
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("--no-deps", action="store_true",
                        help="do not restart the services that depend on them")
