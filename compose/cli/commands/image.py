"""``pycompose image bootstrap``: a base image made from the host, for offline use."""

from __future__ import annotations

from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context


async def bootstrap(ctx: Context, name: str = "busybox:latest") -> int:
    digest = await ctx.images.bootstrap(name)
    ctx.output.text(f"{name} {digest}")
    return 0


def register(verbs: Verbs) -> None:
    image = verbs.add_parser("image", help="manage images")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="COMMAND", required=True)
    parser = image_verbs.add_parser(
        "bootstrap", help="make busybox:latest from the host's busybox-static, offline")
    parser.add_argument("name", nargs="?", default="busybox:latest")
    parser.set_defaults(prepare=prepare_bootstrap)


def prepare_bootstrap(inv: Invocation) -> Prepared:
    return lambda ctx: bootstrap(ctx, inv.args.name)
