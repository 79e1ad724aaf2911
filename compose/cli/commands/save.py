"""``pycompose save``: images to one archive that both ``docker load`` and OCI
tools read (an OCI layout plus docker's ``manifest.json``)."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

import trio

from common.errors import ImageError, UsageError
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.wiring import WiredContext as Context
from runtime.images.archive import save_archive
from runtime.images.store import ImageStore


def _save_file(store: ImageStore, names: list[str], path: str | None) -> None:
    """Write to ``path`` atomically (a temporary file renamed), or to stdout."""
    with store.lock(exclusive=False):
        if path is None:
            save_archive(store, names, sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".save-", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                save_archive(store, names, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def save_file(store: ImageStore, names: list[str], path: str | None) -> None:
    """Disk errors (full, unreadable, a closed pipe) as one line, not a traceback."""
    try:
        _save_file(store, names, path)
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise ImageError(f"cannot save images:{where} {exc.strerror or exc}") from None


async def save(ctx: Context, names: list[str], path: str | None) -> int:
    await trio.to_thread.run_sync(save_file, ctx.store, names, path)
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
