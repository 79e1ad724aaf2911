"""``pycompose pull``: pull the images of the project's services."""

from __future__ import annotations

from collections.abc import Sequence

from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.pulling import pull_services
from compose.spec import graph
from compose.spec.model import Project


async def pull(ctx: Context, project: Project, *, policy: str | None = None,
               quiet: bool = False, ignore_failures: bool = False) -> int:
    """As docker compose: services whose ``pull_policy`` is ``never`` or ``build``
    are skipped, ``missing`` ones pulled only if absent, the others always."""
    await pull_services(ctx, project, ctx.environ, policy=policy, default="always",
                        quiet=quiet, ignore_failures=ignore_failures)
    return 0


def _selected(project: Project, services: Sequence[str], include_deps: bool) -> Project:
    if not services:
        return project
    names = (graph.with_dependencies(graph.dependencies(project), services)
             if include_deps else services)
    return project.with_selected_services(names)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("pull", help="pull service images")
    parser.add_argument("--policy", choices=["missing", "always"],
                        help="pull only missing images, or always (default: each service's "
                             "pull_policy)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument("--ignore-pull-failures", action="store_true",
                        help="warn about images that cannot be pulled and go on")
    parser.add_argument("--include-deps", action="store_true",
                        help="also pull the services the named ones depend on")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    inv.check_services(args.services)
    project = _selected(inv.load().project, args.services, args.include_deps)
    return lambda ctx: pull(ctx, project, policy=args.policy, quiet=args.quiet,
                            ignore_failures=args.ignore_pull_failures)
