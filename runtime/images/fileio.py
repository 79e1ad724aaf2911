"""``load`` and ``save`` between the store and a file or our stdio (synchronous;
``import`` is ``runtime/build/importer.py``): the store's lock held, disk errors
(full, unreadable, a closed pipe) turned into one line instead of a traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from typing import TypeVar

from common.errors import ImageError
from common.images import LoadedImage
from runtime.images.archive import load_archive, save_archive
from runtime.images.store import ImageStore

T = TypeVar("T")


def one_line(what: str, action: Callable[[], T]) -> T:
    try:
        return action()
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise ImageError(f"cannot {what}:{where} {exc.strerror or exc}") from None


def load_file(store: ImageStore, path: str | None) -> list[LoadedImage]:
    """Load from ``path``, or from stdin (copied aside first: archives are read in
    any order)."""

    def load() -> list[LoadedImage]:
        with store.lock(exclusive=False):
            if path is not None:
                return load_archive(store, path)
            store.path.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=store.path, prefix=".load-") as spool:
                shutil.copyfileobj(sys.stdin.buffer, spool, 1 << 20)
                spool.flush()
                return load_archive(store, spool.name)

    return one_line("load images", load)


def save_file(store: ImageStore, names: list[str], path: str | None) -> None:
    """Write to ``path`` atomically (a temporary file renamed), or to stdout."""

    def save() -> None:
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

    one_line("save images", save)
