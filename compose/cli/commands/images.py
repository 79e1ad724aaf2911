"""``pycompose images``: the images in the local store, as a table or JSON lines.

Unlike ``docker compose images`` (the images of the project's containers) this
lists the whole store, as ``docker images`` does: pycompose has no daemon to ask.
"""

from __future__ import annotations

import json
import time

from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.cli.views.gotemplate import FORMAT_HELP, is_template, render
from compose.cli.views.imagelist import IMAGE_HEADERS, json_row, sort_rows, table
from compose.engine.context import Context


async def images(ctx: Context, *, wanted: str | None = None, fmt: str = "table",
                 quiet: bool = False, digests: bool = False) -> int:
    rows = sort_rows(await ctx.images.rows(wanted))
    if quiet:
        for image_id in dict.fromkeys(r.image_id.removeprefix("sha256:")[:12] for r in rows):
            ctx.output.text(image_id)
        return 0
    now = time.time()
    if is_template(fmt):
        ctx.output.text(render(fmt, [json_row(row, now) for row in rows], IMAGE_HEADERS))
    elif fmt == "json":
        for row in rows:
            ctx.output.text(json.dumps(json_row(row, now)))
    else:
        ctx.output.text(table(rows, now, digests=digests))
    return 0


def add_list_arguments(parser: object) -> None:
    add = parser.add_argument  # type: ignore[attr-defined]
    add("-q", "--quiet", action="store_true", help="only image IDs")
    add("--format", default="table", help=FORMAT_HELP)
    add("--digests", action="store_true", help="show digests")
    add("wanted", nargs="?", metavar="REPOSITORY[:TAG]")


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("images", help="list images in the local store")
    add_list_arguments(parser)
    parser.set_defaults(prepare=prepare)


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    return lambda ctx: images(ctx, wanted=args.wanted, fmt=args.format, quiet=args.quiet,
                              digests=args.digests)
