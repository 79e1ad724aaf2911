"""``pycompose import``: an image from a root filesystem tarball (file or stdin)."""

from __future__ import annotations

import os

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context


async def import_image(ctx: Context, path: str, name: str | None, changes: list[str],
                       message: str, platform: str | None) -> int:
    image_id = await ctx.images.import_rootfs(path, name, changes, message, platform)
    ctx.output.text(image_id)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("import", help="make an image from a root filesystem tarball")
    parser.add_argument("-c", "--change", action="append", default=[], metavar="INSTRUCTION",
                        help="Dockerfile instruction for the config: CMD, ENTRYPOINT, ENV, "
                             "EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable)")
    parser.add_argument("-m", "--message", default="", help="commit message for the history")
    parser.add_argument("--platform", help="os/arch[/variant] the image is for")
    parser.add_argument("file", metavar="FILE|-")
    parser.add_argument("name", nargs="?", metavar="REPOSITORY[:TAG]")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    path = args.file
    if path != "-":
        path = os.path.join(inv.cwd, path)
        if not os.path.isfile(path):
            raise UsageError(f"{args.file}: no such file")
    return lambda ctx: import_image(ctx, path, args.name, args.change, args.message,
                                    args.platform)
