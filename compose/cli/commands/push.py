"""``pycompose push``: push the images of the project's services to their registries.

docker compose pushes only the images it builds; pycompose cannot build yet, so it
pushes every service image that names a registry and is in the local store."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from common.errors import ImageError, UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.spec.model import Project
from compose.wiring import WiredContext as Context

if TYPE_CHECKING:
    from runtime.distribution.transfers import Transfers


async def push_images(ctx: Context, images: Sequence[tuple[str, str]], *, quiet: bool = False,
                      ignore_failures: bool = False) -> list[str]:
    """Push ``(label, image)`` pairs; returns one ``tag: digest: ... size: ...`` line
    each, as docker prints after a push."""
    from compose.cli.views.transferview import (
        TransferView,  # httpx and rich.live: only when pushing
    )
    from runtime.distribution.transfers import open_transfers, run_all

    lines: list[str] = []
    failures: list[str] = []

    async def one(transfers: Transfers, label: str, image: str) -> None:
        try:
            pushed = await transfers.push(image, label)
        except ImageError as exc:
            if not ignore_failures:
                raise
            failures.append(f"{label}: {exc}")
            return
        lines.append(f"{image}: digest: {pushed.digest} size: {pushed.size}")

    with TransferView(ctx.output.err, "Pushing", quiet=quiet) as view:
        async with open_transfers(ctx.store, ctx.environ, view) as transfers:
            await run_all(partial(one, transfers, label, image) for label, image in images)
    for failure in failures:
        ctx.output.warn(failure)
    return lines


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
