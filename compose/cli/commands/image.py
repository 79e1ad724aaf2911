"""``pycompose image bootstrap|ls|rm|prune|inspect|tag|pull|push``: the local image
store, docker style, and a base image made from the host for offline use."""

from __future__ import annotations

import json
from typing import Any

from compose.cli.commands.images import add_list_arguments, images
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.units import human_size
from compose.engine.context import Context
from compose.engine.pulling import pull_image
from compose.engine.pushing import push_images


async def bootstrap(ctx: Context, name: str = "busybox:latest") -> int:
    digest = await ctx.images.bootstrap(name)
    ctx.output.text(f"{name} {digest}")
    return 0


async def rm(ctx: Context, names: list[str], force: bool) -> int:
    for line in await ctx.images.remove(names, force):
        ctx.output.text(line)
    return 0


async def prune(ctx: Context, all_images: bool) -> int:
    pruned = await ctx.images.prune(all_images)
    if pruned.lines:
        ctx.output.text("Deleted Images:")
        for line in pruned.lines:
            ctx.output.text(line)
        ctx.output.text("")
    ctx.output.text(f"Total reclaimed space: {human_size(pruned.freed, 3)}")
    return 0


async def inspect_images(ctx: Context, names: list[str]) -> int:
    ctx.output.raw(json.dumps(await ctx.images.inspect(names), indent=4) + "\n")
    return 0


async def tag(ctx: Context, source: str, target: str) -> int:
    await ctx.images.tag(source, target)
    return 0


async def pull_one(ctx: Context, name: str, platform: str | None, quiet: bool) -> int:
    image = await pull_image(ctx, name, platform, quiet)
    ctx.output.text(f"{image.name}: {image.manifest_digest}")
    return 0


async def push_one(ctx: Context, name: str, quiet: bool) -> int:
    for line in await push_images(ctx, [(name, name)], quiet=quiet):
        ctx.output.text(line)
    return 0


def register(verbs: Verbs) -> None:
    image = verbs.add_parser("image", help="manage images")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="COMMAND", required=True)
    parser = image_verbs.add_parser(
        "bootstrap", help="make busybox:latest from the host's busybox-static, offline")
    parser.add_argument("name", nargs="?", default="busybox:latest")
    parser.set_defaults(prepare=_prepare(lambda ctx, a: bootstrap(ctx, a.name)))
    _store_verbs(image_verbs)


def _store_verbs(image: Any) -> None:
    """``image ls|rm|prune|inspect|tag|pull|push``: the local store, docker style."""
    ls = image.add_parser("ls", help="list images (as pycompose images)")
    add_list_arguments(ls)
    ls.set_defaults(prepare=lambda inv: lambda ctx: images(
        ctx, wanted=inv.args.wanted, fmt=inv.args.format, quiet=inv.args.quiet,
        digests=inv.args.digests))

    remove = image.add_parser("rm", help="remove images (names, or IDs)")
    remove.add_argument("-f", "--force", action="store_true",
                        help="remove an ID with several names; untag an image in use")
    remove.add_argument("names", nargs="+", metavar="IMAGE")
    remove.set_defaults(prepare=_prepare(lambda ctx, a: rm(ctx, a.names, a.force)))

    cleanup = image.add_parser("prune", help="remove dangling images no container uses")
    cleanup.add_argument("-a", "--all", action="store_true",
                         help="remove every image no container uses")
    cleanup.add_argument("-f", "--force", action="store_true", help="accepted: never prompts")
    cleanup.set_defaults(prepare=_prepare(lambda ctx, a: prune(ctx, a.all)))

    details = image.add_parser("inspect", help="show images' config, layers and sizes")
    details.add_argument("names", nargs="+", metavar="IMAGE")
    details.set_defaults(prepare=_prepare(lambda ctx, a: inspect_images(ctx, a.names)))

    name = image.add_parser("tag", help="give an image another name")
    name.add_argument("source", metavar="SOURCE_IMAGE")
    name.add_argument("target", metavar="TARGET_IMAGE")
    name.set_defaults(prepare=_prepare(lambda ctx, a: tag(ctx, a.source, a.target)))

    fetch = image.add_parser("pull", help="pull one image from its registry")
    fetch.add_argument("--platform", help="os/arch[/variant] (default: this host's)")
    fetch.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    fetch.add_argument("name", metavar="NAME[:TAG|@DIGEST]")
    fetch.set_defaults(prepare=_prepare(
        lambda ctx, a: pull_one(ctx, a.name, a.platform, a.quiet)))

    send = image.add_parser("push", help="push one image to its registry")
    send.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    send.add_argument("name", metavar="NAME[:TAG]")
    send.set_defaults(prepare=_prepare(lambda ctx, a: push_one(ctx, a.name, a.quiet)))


def _prepare(run: Any) -> Any:
    def prepare(inv: Invocation) -> Prepared:
        return lambda ctx: run(ctx, inv.args)

    return prepare
