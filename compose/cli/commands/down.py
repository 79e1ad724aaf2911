"""``pycompose down``: stop and remove the project's containers and networks."""

from __future__ import annotations

from compose.cli.invocation import Invocation, Prepared, Verbs, timeout_arg
from compose.engine.down import down


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("down", help="stop and remove containers and networks")
    parser.add_argument("-t", "--timeout", type=timeout_arg, help="stop timeout in seconds")
    parser.add_argument("-v", "--volumes", action="store_true",
                        help="also remove the project's named volumes and its containers' "
                        "anonymous volumes")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="accepted for compatibility: down always removes them")
    parser.add_argument("--rmi", choices=["local", "all"],
                        help="also remove images: all the services used, or only "
                        "those without a name of their own (local)")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    name = inv.project_name()
    return lambda ctx: down(ctx, name, inv.args.timeout, inv.args.volumes, inv.args.rmi)
