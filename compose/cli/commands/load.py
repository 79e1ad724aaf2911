"""``pycompose load``: images from a ``docker save`` or OCI archive (file or stdin)."""

from __future__ import annotations

import os
import sys

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context


async def load(ctx: Context, path: str | None, quiet: bool) -> int:
    """From ``path``, or from stdin unless it is a terminal."""
    if path is None and sys.stdin.isatty():
        raise UsageError("requested load from stdin, but stdin is a terminal "
                         "(use -i FILE or redirect)")
    loaded = await ctx.images.load(path)
    if not quiet:
        for image in loaded:
            for name in image.names:
                ctx.output.text(f"Loaded image: {name}")
            if not image.names:
                ctx.output.text(f"Loaded image ID: {image.image_id}")
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("load", help="load images from a docker save or OCI archive")
    parser.add_argument("-i", "--input", metavar="FILE",
                        help="archive to read (plain, gzip, bzip2 or xz; default: stdin)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    path = inv.args.input
    if path is not None:
        path = os.path.join(inv.cwd, path)
        if not os.path.isfile(path):
            raise UsageError(f"{inv.args.input}: no such file")
    return lambda ctx: load(ctx, path, inv.args.quiet)
