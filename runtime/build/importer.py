"""``import``: an image from a flat root filesystem tarball, one layer, with a
config made here (``--change`` takes Dockerfile instructions, as docker import's
``-c`` does).  It lives with the builder because those instructions are read with
the Dockerfile parser's rules (``dockerfile.json_list``).  Synchronous."""

from __future__ import annotations

import gzip
import json
import shlex
import sys
import tarfile
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Any

from common.errors import ImageError
from runtime.build.dockerfile import json_list
from runtime.images.documents import (
    MEDIA_LAYER_GZIP,
    Descriptor,
    Platform,
    host_platform,
    parse_platform,
)
from runtime.images.fileio import one_line
from runtime.images.layerblob import store_layer
from runtime.images.store import ImageStore, new_image_name

DEFAULT_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CHANGES = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER",
           "VOLUME", "WORKDIR")


def apply_changes(config: dict[str, Any], changes: Sequence[str]) -> dict[str, Any]:
    """The runtime config (``Cmd``, ``Env``...) after Dockerfile instructions (pure)."""
    result: dict[str, Any] = json.loads(json.dumps(config))  # a deep copy
    for change in changes:
        instruction, _, rest = change.strip().partition(" ")
        keyword, rest = instruction.upper(), rest.strip()
        if keyword not in CHANGES or keyword == "ONBUILD":
            raise ImageError(f"--change: {instruction} is not supported "
                             f"(use one of {', '.join(c for c in CHANGES if c != 'ONBUILD')})")
        if not rest:
            raise ImageError(f"--change: {keyword} needs an argument")
        if keyword in ("CMD", "ENTRYPOINT"):
            result["Cmd" if keyword == "CMD" else "Entrypoint"] = _command(rest)
        elif keyword == "ENV":
            env = [e for e in result.get("Env", []) if isinstance(e, str)]
            for key, value in _pairs(rest):
                env = [e for e in env if e.split("=", 1)[0] != key] + [f"{key}={value}"]
            result["Env"] = env
        elif keyword == "LABEL":
            result["Labels"] = {**result.get("Labels", {}), **dict(_pairs(rest))}
        elif keyword == "EXPOSE":
            ports: dict[str, Any] = {p if "/" in p else f"{p}/tcp": {} for p in rest.split()}
            result["ExposedPorts"] = {**result.get("ExposedPorts", {}), **ports}
        elif keyword == "VOLUME":
            paths: dict[str, Any] = {path: {} for path in json_list(rest) or rest.split()}
            result["Volumes"] = {**result.get("Volumes", {}), **paths}
        else:
            result[{"USER": "User", "WORKDIR": "WorkingDir",
                    "STOPSIGNAL": "StopSignal"}[keyword]] = rest
    return result


def _command(text: str) -> list[str]:
    """Exec form (a JSON list) as it is; shell form runs through ``/bin/sh -c``."""
    exec_form = json_list(text)
    return exec_form if exec_form is not None else ["/bin/sh", "-c", text]


def _pairs(text: str) -> list[tuple[str, str]]:
    """``k=v k2="v 2"``, or the legacy ``k v`` form."""
    words = shlex.split(text)
    if words and "=" not in words[0]:
        return [(words[0], text.split(None, 1)[1] if len(words) > 1 else "")]
    pairs = []
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ImageError(f"--change: {word!r} is not KEY=VALUE")
        pairs.append((key, value))
    return pairs


def import_rootfs(store: ImageStore, stream: IO[bytes], name: str | None, *,
                  changes: Sequence[str] = (), message: str = "",
                  platform: Platform | None = None, now: float | None = None) -> str:
    """Store the tarball as a one-layer image, tag it ``name`` if given; returns
    the image ID."""
    reference = new_image_name(name, "import")
    runtime = apply_changes({"Env": [DEFAULT_ENV]}, changes)
    layer, diff_id = store_layer(store, stream)
    _check_tarball(store, layer)
    target = platform or host_platform()
    moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    created = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    history: dict[str, Any] = {"created": created, "created_by": "pycompose import"}
    if message:
        history["comment"] = message
    config: dict[str, Any] = {
        "architecture": target.architecture, "os": target.os, "created": created,
        "config": runtime, "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [history],
    }
    if target.variant:
        config["variant"] = target.variant
    return store.put_image(config, [layer], reference).digest


def _check_tarball(store: ImageStore, layer: Descriptor) -> None:
    """Refuse what is not a tar archive now, not when a container is created."""
    try:
        with open(store.blob_path(layer.digest), "rb") as handle:
            source: IO[bytes] = handle
            if layer.media_type == MEDIA_LAYER_GZIP:
                source = gzip.GzipFile(fileobj=handle)  # type: ignore[assignment]
            with tarfile.open(fileobj=source, mode="r|") as tar:
                for _ in tar:
                    pass
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ImageError(f"the file to import is not a tar archive: {exc}") from None


def import_file(store: ImageStore, path: str, name: str | None, changes: list[str],
                message: str, platform: str | None) -> str:
    """A root filesystem tarball (``-``: stdin) as an image; returns its ID."""

    def run() -> str:
        with store.lock(exclusive=False):
            target = parse_platform(platform) if platform else None
            if path == "-":
                return import_rootfs(store, sys.stdin.buffer, name, changes=changes,
                                     message=message, platform=target)
            with open(path, "rb") as handle:
                return import_rootfs(store, handle, name, changes=changes, message=message,
                                     platform=target)

    return one_line("import", run)
