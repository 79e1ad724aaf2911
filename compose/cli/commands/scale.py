"""``pycompose scale SERVICE=N...``: set how many containers services run; ``up``'s
convergence with ``--scale`` for the named services (as Docker Compose's ``scale``
is its create and start)."""

from __future__ import annotations

from collections.abc import Sequence

from common.errors import UsageError
from compose.cli.commands.up import up
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.converge import UpOptions


def replicas_arg(entries: Sequence[str]) -> dict[str, int]:
    """``web=3 db=1`` as a mapping, refused with docker compose's messages."""
    scale: dict[str, int] = {}
    for entry in entries:
        name, sep, count = entry.partition("=")
        if not sep or not name or not count:
            raise UsageError(f"invalid scale specifier: {entry}")
        try:
            value = int(count)
        except ValueError:
            raise UsageError("invalid scale specifier: can't parse replica value as int: "
                             f"{entry}") from None
        if value < 0:
            raise UsageError(f"invalid scale specifier: replicas must not be negative: {entry}")
        scale[name] = value
    return scale


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("scale", help="set the number of containers of services")
    parser.add_argument("--no-deps", action="store_true",
                        help="do not start the services they depend on")
    parser.add_argument("replicas", nargs="+", metavar="SERVICE=REPLICAS")
    parser.set_defaults(prepare=prepare, named_services="scaled")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    scale = replicas_arg(args.replicas)
    args.scaled = sorted(scale)  # named services enable their own profiles
    loaded = inv.load()
    for name in scale:
        if name not in loaded.project.services:
            raise UsageError(f"no such service: {name}")
    options = UpOptions(detach=True, services=tuple(sorted(scale)), scale=scale,
                        no_deps=args.no_deps)
    return lambda ctx: up(ctx, inv.output, loaded.project, options)
