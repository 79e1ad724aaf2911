"""``pycompose build``: build the images of services that have a ``build:`` section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.building import BuildOptions, build_services
from compose.engine.context import Context
from compose.spec import graph
from compose.spec.model import Project


async def build(ctx: Context, project: Project, names: Sequence[str], *, no_cache: bool,
                pull: bool, args: Mapping[str, str], quiet: bool) -> int:
    await build_services(ctx, project, names,
                         BuildOptions(no_cache=no_cache, pull=pull, args=args, quiet=quiet))
    return 0


def build_args(values: Sequence[str], environ: Mapping[str, str]) -> dict[str, str]:
    """``--build-arg K=V``; a bare ``K`` takes its value from the environment (and is
    dropped when the environment has none), as docker compose does."""
    result: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not key:
            raise UsageError(f"--build-arg {value!r}: expected KEY=VALUE")
        if sep:
            result[key] = rest
        elif key in environ:
            result[key] = environ[key]
    return result


def selected(project: Project, services: Sequence[str], with_dependencies: bool) -> list[str]:
    """The buildable services among those named (all when none is), in file order."""
    names = list(services) or list(project.services)
    if services and with_dependencies:
        wanted = graph.with_dependencies(graph.dependencies(project), services)
        names = [n for n in project.services if n in wanted]
    return [n for n in names if project.services[n].canonical.get("build")]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("build", help="build or rebuild services")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not use the cache when building the image")
    parser.add_argument("--pull", action="store_true",
                        help="always pull a newer version of the base images")
    parser.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="set a build-time variable (repeatable)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--with-dependencies", action="store_true",
                        help="also build the services the named ones depend on")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    inv.check_services(args.services)
    project = inv.load().project
    names = selected(project, args.services, args.with_dependencies)
    values = build_args(args.build_arg, inv.environ)
    if not names:
        return 0
    return lambda ctx: build(ctx, project, names, no_cache=args.no_cache, pull=args.pull,
                             args=values, quiet=args.quiet)
