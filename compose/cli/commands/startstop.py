"""``pycompose start`` / ``stop`` / ``restart``: act on the containers ``up``
created, in dependency order (compose/planning/startstop.py decides which and when,
compose/engine/startstop.py acts)."""

from __future__ import annotations

from compose.cli.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.engine.startstop import restart, start, stop


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("start", help="start existing containers")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare_start)
    parser = verbs.add_parser("stop", help="stop running containers without removing them")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare_stop)
    parser = verbs.add_parser("restart", help="restart service containers")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("--no-deps", action="store_true",
                        help="do not restart the services that depend on them")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare_restart)


def prepare_start(inv: Invocation) -> Prepared:
    name = inv.project_name()
    inv.check_services(inv.args.services)
    services = list(inv.args.services)
    return lambda ctx: start(ctx, name, services)


def prepare_stop(inv: Invocation) -> Prepared:
    name = inv.project_name()
    inv.check_services(inv.args.services)
    services, timeout = list(inv.args.services), inv.args.timeout
    return lambda ctx: stop(ctx, name, services, timeout)


def prepare_restart(inv: Invocation) -> Prepared:
    name = inv.project_name()
    inv.check_services(inv.args.services)
    args = inv.args
    return lambda ctx: restart(ctx, name, list(args.services), args.timeout, args.no_deps)
