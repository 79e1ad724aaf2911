"""Make ``busybox:latest`` from the host's static busybox, with no registry.

The layer is built byte-for-byte reproducibly (fixed mtimes, owners and order,
gzip without a timestamp), so bootstrapping twice yields the same digests and
the store does not grow.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import platform
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from common.errors import ImageError
from runtime.images.reference import parse_reference
from runtime.images.store import (
    MEDIA_CONFIG,
    MEDIA_LAYER_GZIP,
    MEDIA_MANIFEST,
    ImageStore,
    sha256_digest,
)

BUSYBOX = "/bin/busybox"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_DIRS = {
    "bin": 0o755, "dev": 0o755, "etc": 0o755, "home": 0o755, "proc": 0o555, "root": 0o700,
    "run": 0o755, "sbin": 0o755, "sys": 0o555, "tmp": 0o1777, "usr": 0o755,
    "usr/bin": 0o755, "usr/sbin": 0o755, "var": 0o755, "var/log": 0o755, "var/tmp": 0o1777,
    "var/www": 0o755,
}
_FILES = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n"
                  "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
                  "www-data:x:33:33:www-data:/var/www:/bin/false\n"
                  "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    "etc/group": "root:x:0:\ndaemon:x:1:\ntty:x:5:\nwww-data:x:33:\nnogroup:x:65534:\n",
    "etc/nsswitch.conf": "hosts: files dns\n",
}


def go_arch() -> str:
    machine = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )


def applets(busybox: str = BUSYBOX) -> list[str]:
    """Install paths of every applet (``usr/bin/wget``...), from ``busybox --list-full``."""
    try:
        out = subprocess.run(
            [busybox, "--list-full"], check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ImageError(
            f"cannot list applets of {busybox}: {exc} (install the busybox-static package)"
        ) from None
    return sorted({line.strip().lstrip("/") for line in out.splitlines() if line.strip()})


def build_layer(busybox: str = BUSYBOX) -> bytes:
    """The uncompressed layer tarball."""
    binary = Path(busybox).read_bytes()
    mtime = int(os.stat(busybox).st_mtime)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(info: tarfile.TarInfo, data: bytes | None = None) -> None:
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, "", ""
            tar.addfile(info, io.BytesIO(data) if data is not None else None)

        for name, mode in sorted(_DIRS.items()):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, mode
            add(info)
        info = tarfile.TarInfo("bin/busybox")
        info.mode, info.size = 0o755, len(binary)
        add(info, binary)
        for name, text in sorted(_FILES.items()):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.mode, info.size = 0o644, len(data)
            add(info, data)
        for path in applets(busybox):
            if path == "bin/busybox" or path in _DIRS:
                continue
            parent = os.path.dirname(path)
            if parent and parent not in _DIRS:
                continue
            info = tarfile.TarInfo(path)
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, "/bin/busybox", 0o777
            add(info)
    return buffer.getvalue()


def bootstrap_busybox(store: ImageStore, name: str = "busybox:latest") -> str:
    """Write the image into ``store`` under ``name``; returns the manifest digest."""
    if not os.path.exists(BUSYBOX):
        raise ImageError(f"{BUSYBOX} not found: install the busybox-static package")
    layer = build_layer()
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=0) as gz:
        gz.write(layer)
    created = datetime.fromtimestamp(int(os.stat(BUSYBOX).st_mtime), UTC)
    config = {
        "architecture": go_arch(),
        "os": "linux",
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "config": {"Env": [DEFAULT_PATH], "Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer)]},
        "history": [{"created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "created_by": f"pycompose image bootstrap from {BUSYBOX}"}],
    }
    layer_desc = store.put_blob(compressed.getvalue(), MEDIA_LAYER_GZIP)
    config_desc = store.put_blob(_canonical(config), MEDIA_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": config_desc.as_json(),
        "layers": [layer_desc.as_json()],
    }
    manifest_desc = store.put_blob(_canonical(manifest), MEDIA_MANIFEST)
    store.tag(parse_reference(name), manifest_desc)
    return manifest_desc.digest


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
