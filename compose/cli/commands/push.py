"""``pycompose push``: push the images of the project's services to their registries.

docker compose pushes only the images it builds; pycompose cannot build yet, so it
pushes every service image that names a registry and is in the local store."""

from __future__ import annotations

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context
from compose.engine.pushing import push_images
from compose.spec.model import Project


async def push(ctx: Context, project: Project, *, quiet: bool = False,
               ignore_failures: bool = False) -> int:
    images: dict[str, str] = {}
    for name, service in project.services.items():
        if service.canonical.get("image") and service.image not in images.values():
            images[name] = service.image
    if not images:
        raise UsageError("no service has an image to push")
    for line in await push_images(ctx, list(images.items()), quiet=quiet,
                                  ignore_failures=ignore_failures):
        if not quiet:
            ctx.output.text(line)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("push", help="push service images")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    parser.add_argument("--ignore-push-failures", action="store_true",
                        help="warn about images that cannot be pushed and go on")
    parser.add_argument("services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    inv.check_services(args.services)
    project = inv.load().project
    if args.services:
        project = project.with_selected_services(args.services)
    return lambda ctx: push(ctx, project, quiet=args.quiet,
                            ignore_failures=args.ignore_push_failures)
