"""Container root filesystems: layers unpacked once, overlayfs per container.

Each layer is unpacked once into ``layers/<diff_id hex>`` (a gzip layer verified
against its diff_id while it streams, decompressed on a second core; a plain one
copied from its blob in the kernel), renamed into place only when complete, and
shared read-only; extraction is ``unpack.unpack``, which no layer escapes and which
turns whiteouts into overlayfs whiteouts.  A container's root is an overlay of its
image's layers under a writable ``upper`` directory of its own.  Synchronous; run
from a worker thread.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import IO

from common.errors import ImageError, RuntimeFailure
from common.libc import libc
from runtime.images.inflate import inflated
from runtime.images.store import MEDIA_LAYER_TAR, Image, ImageStore, Layer
from runtime.images.unpack import unpack

_libc = libc
MNT_DETACH = 2


def layer_dir(layers_root: Path, layer: Layer) -> Path:
    return layers_root / layer.diff_id.removeprefix("sha256:")


def ensure_layer(store: ImageStore, layers_root: Path, layer: Layer) -> Path:
    """The unpacked layer's directory, unpacking it first if needed."""
    target = layer_dir(layers_root, layer)
    if target.is_dir():
        return target
    layers_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=layers_root))
    try:
        _extract(store.blob_path(layer.descriptor.digest), layer, staging)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            shutil.rmtree(staging)  # another process unpacked it first
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ImageError(f"cannot unpack layer {layer.descriptor.digest}: {exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _extract(blob_path: Path, layer: Layer, staging: Path) -> None:
    """A plain tar blob is unpacked in place (its digest, checked when it was
    stored, is its diff_id); a gzip one through ``inflated``, hashed on the way."""
    with open(blob_path, "rb") as blob:
        if layer.descriptor.media_type == MEDIA_LAYER_TAR or not _is_gzip(blob):
            if layer.descriptor.digest != layer.diff_id:
                raise ImageError(f"layer {layer.descriptor.digest} does not match its diff_id")
            unpack(blob, staging)
            return
        with inflated(blob) as tar_stream:
            unpack(tar_stream.reader, staging)
            tar_stream.drain()
    if tar_stream.digest() != layer.diff_id:
        raise ImageError(f"layer {layer.descriptor.digest} does not match its diff_id")


def _is_gzip(handle: IO[bytes]) -> bool:
    magic = handle.read(2)
    handle.seek(0)
    return magic == b"\x1f\x8b"


def overlay_options(lower: list[Path], upper: Path, work: Path) -> str:
    """Mount options; ``lower`` is listed bottom layer first, overlayfs wants top first."""
    return (
        f"lowerdir={':'.join(str(p) for p in reversed(lower))},"
        f"upperdir={upper},workdir={work}"
    )


def mount_rootfs(store: ImageStore, layers_root: Path, image: Image, container_dir: Path) -> Path:
    """Unpack the image's layers and mount the container's overlay; returns its path."""
    lower = [ensure_layer(store, layers_root, layer) for layer in image.layers]
    if not lower:
        raise ImageError(f"image {image.reference.familiar} has no layers")
    upper, work, merged = (container_dir / n for n in ("upper", "work", "rootfs"))
    for path in (upper, work, merged):
        path.mkdir(parents=True, exist_ok=True)
    if os.path.ismount(merged):
        return merged
    options = overlay_options(lower, upper, work).encode()
    if _libc.mount(b"overlay", str(merged).encode(), b"overlay", 0, options) != 0:
        err = ctypes.get_errno()
        raise RuntimeFailure(f"cannot mount overlay at {merged}: {os.strerror(err)}")
    return merged


def unmount_rootfs(container_dir: Path) -> None:
    """Unmount the container's overlay if it is mounted (lazily, if busy)."""
    merged = container_dir / "rootfs"
    if not os.path.ismount(merged):
        return
    if _libc.umount2(str(merged).encode(), 0) != 0:
        err = ctypes.get_errno()
        if err == errno.EBUSY and _libc.umount2(str(merged).encode(), MNT_DETACH) == 0:
            return
        if err not in (errno.EINVAL, errno.ENOENT):
            raise RuntimeFailure(f"cannot unmount {merged}: {os.strerror(err)}")
