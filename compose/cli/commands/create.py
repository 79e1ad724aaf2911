"""``pycompose create``: make the project's containers without starting them;
``up``'s convergence with its ``start`` turned off, so a later ``start`` or ``up``
starts exactly what was made."""

from __future__ import annotations

import sys
from functools import partial

from common.errors import UsageError
from compose.cli.commands.up import ask, scale_arg, up
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.converge import UpOptions
from compose.planning.plan import RECREATE_DIVERGED, RECREATE_FORCE, RECREATE_NEVER

PULL_POLICIES = ("always", "missing", "never", "build", "policy")
"""``--pull``'s values; ``policy`` (the default) keeps each service's ``pull_policy``."""


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("create", help="create containers without starting them")
    builds = parser.add_mutually_exclusive_group()
    builds.add_argument("--build", action="store_const", const=True, dest="build",
                        help="build images before creating containers")
    builds.add_argument("--no-build", action="store_const", const=False, dest="build",
                        help="do not build an image, even if it is missing")
    parser.add_argument("--force-recreate", action="store_true",
                        help="recreate containers even if nothing changed")
    parser.add_argument("--no-recreate", action="store_true",
                        help="keep existing containers even if their configuration changed")
    parser.add_argument("--pull", default="policy", metavar="POLICY",
                        help="pull images first: always, missing, never, build "
                        "(default: each service's pull_policy)")
    parser.add_argument("--quiet-pull", action="store_true",
                        help="pull without printing progress")
    parser.add_argument("--remove-orphans", action="store_true",
                        help="remove containers of services no longer in the file")
    parser.add_argument("--scale", action="append", default=[], metavar="SERVICE=NUM",
                        help="make NUM containers of SERVICE (over scale/deploy.replicas)")
    parser.add_argument("-y", "--yes", action="store_true",
                        help="assume yes to prompts (a volume whose configuration changed "
                        "is made again)")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    if args.force_recreate and args.no_recreate:
        raise UsageError("--force-recreate and --no-recreate are incompatible")
    if args.pull not in PULL_POLICIES:
        raise UsageError(f'invalid --pull option "{args.pull}"')
    loaded = inv.load()
    for name in args.services:
        if name not in loaded.project.services:
            raise UsageError(f"no such service: {name}")
    recreate = RECREATE_FORCE if args.force_recreate else \
        RECREATE_NEVER if args.no_recreate else RECREATE_DIVERGED
    options = UpOptions(
        detach=True, start=False, services=tuple(args.services), build=args.build,
        recreate=recreate,
        recreate_dependencies=RECREATE_NEVER if args.no_recreate else RECREATE_DIVERGED,
        remove_orphans=args.remove_orphans, scale=scale_arg(args.scale, loaded.project.services),
        pull=None if args.pull == "policy" else args.pull, quiet_pull=args.quiet_pull,
        confirm=None if args.yes or not sys.stdin.isatty() else partial(ask, inv.output),
    )
    return lambda ctx: up(ctx, inv.output, loaded.project, options)
