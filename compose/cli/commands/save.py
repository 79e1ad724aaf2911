"""``pycompose save``: images to one archive that both ``docker load`` and OCI
tools read (an OCI layout plus docker's ``manifest.json``)."""

from __future__ import annotations

import os
import sys

from common.errors import UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.engine.context import Context


async def save(ctx: Context, names: list[str], path: str | None) -> int:
    await ctx.images.save(names, path)
    return 0


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("save", help="save images to a tar archive")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    parser.add_argument("names", nargs="+", metavar="IMAGE")
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    path = inv.args.output
    if path is None and sys.stdout.isatty():
        raise UsageError("refusing to write an archive to a terminal (use -o FILE or redirect)")
    if path is not None:
        path = os.path.join(inv.cwd, path)
    return lambda ctx: save(ctx, inv.args.names, path)
