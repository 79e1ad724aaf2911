"""``pycompose load``: images from a ``docker save`` or OCI archive (file or stdin)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import trio

from common.errors import ImageError, UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.wiring import WiredContext as Context
from runtime.images.archive import Loaded, load_archive
from runtime.images.store import ImageStore


def _load_file(store: ImageStore, path: str | None) -> list[Loaded]:
    """Load from ``path``, or from stdin (copied aside first: archives are read in
    any order)."""
    with store.lock(exclusive=False):
        if path is not None:
            return load_archive(store, path)
        if sys.stdin.isatty():
            raise UsageError("requested load from stdin, but stdin is a terminal "
                             "(use -i FILE or redirect)")
        store.path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=store.path, prefix=".load-") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
            spool.flush()
            return load_archive(store, spool.name)


def load_file(store: ImageStore, path: str | None) -> list[Loaded]:
    """Disk errors (full, unreadable, a closed pipe) as one line, not a traceback."""
    try:
        return _load_file(store, path)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise ImageError(f"cannot load images:{where} {exc.strerror or exc}") from None


async def load(ctx: Context, path: str | None, quiet: bool) -> int:
    loaded = await trio.to_thread.run_sync(load_file, ctx.store, path)
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
