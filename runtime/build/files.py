"""Files into a build step's root: COPY/ADD plans written through the safe
extractor, ADD's local archives, here-documents' variables, and the digest of a
bind-mounted context directory.  Synchronous."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import posixpath
import tempfile
from collections.abc import Mapping
from typing import IO, cast

from common.dockerignore import Pattern
from common.errors import BuildError, ImageError
from runtime.build.context import CopyPlan, is_archive, write_tar
from runtime.build.shellexpand import expand_word
from runtime.images.unpack import unpack
from runtime.ocispec.users import UnknownUser, read_in_root, resolve_in_root, resolve_user


def open_archive(path: str) -> IO[bytes]:
    with open(path, "rb") as probe:
        head = probe.read(6)
    if head[:2] == b"\x1f\x8b":
        return cast(IO[bytes], gzip.open(path, "rb"))
    if head[:3] == b"BZh":
        return cast(IO[bytes], bz2.open(path, "rb"))
    if head[:6] == b"\xfd7zXZ\x00":
        return cast(IO[bytes], lzma.open(path, "rb"))
    return open(path, "rb")


def write_files(root: str, keyword: str, plan: CopyPlan, dest: str, chown: str,
                mode: int | None, *, extract: bool = True) -> None:
    """Write a COPY/ADD plan into the mounted root ``root``: owned by ``--chown``
    (resolved in the image), ``--chmod`` applied, ADD's local archives extracted,
    all through ``runtime.images.unpack`` so nothing lands outside ``root``."""
    uid = gid = 0
    if chown:
        try:
            user = resolve_user(chown, read_in_root(root, "/etc/passwd"),
                                read_in_root(root, "/etc/group"))
        except UnknownUser as exc:
            raise BuildError(f"{keyword} --chown={chown}: {exc}") from None
        uid, gid = user.uid, user.gid
    archives = [e for e in plan.entries
                if keyword == "ADD" and extract and not os.path.isdir(e.source)
                and is_archive(e.source)]
    plain = CopyPlan(plan.dest_dir, tuple(e for e in plan.entries if e not in archives))
    target_dir = resolve_in_root(root, plan.dest_dir)
    if archives and len(plan.entries) == 1 and not dest.endswith("/"):
        # ADD app.tar /opt/app: the archive is extracted into /opt/app
        target_dir = resolve_in_root(root, posixpath.join(plan.dest_dir, archives[0].name))
    os.makedirs(target_dir, mode=0o755, exist_ok=True)
    for archive in archives:
        with open_archive(archive.source) as stream:
            try:
                unpack(stream, target_dir)
            except (ImageError, OSError, EOFError) as exc:
                raise BuildError(f"ADD {archive.name}: {exc}") from None
    if not plain.entries:
        return
    with tempfile.TemporaryFile() as buffer:
        write_tar(plain, buffer, uid, gid, mode)
        buffer.seek(0)
        try:
            unpack(buffer, resolve_in_root(root, plan.dest_dir))
        except ImageError as exc:
            raise BuildError(f"{keyword}: {exc}") from None


def tree_key(path: str, ignore: list[Pattern], context: str) -> str:
    digest = hashlib.sha256()
    if os.path.isdir(path):
        for directory, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                full = os.path.join(directory, name)
                digest.update(os.path.relpath(full, path).encode())
                try:
                    with open(full, "rb") as handle:
                        digest.update(handle.read())
                except OSError:
                    continue
    elif os.path.isfile(path):
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


def expand_heredoc(content: str, env: Mapping[str, str]) -> str:
    """Variables in an unquoted here-document: ``$name`` and ``${...}``, quotes kept."""
    out = ""
    index = 0
    while index < len(content):
        char = content[index]
        if char == "\\" and index + 1 < len(content) and content[index + 1] == "$":
            out += "$"
            index += 2
            continue
        if char == "$":
            end = index + 1
            if end < len(content) and content[end] == "{":
                close = content.find("}", end)
                if close > 0:
                    out += expand_word(content[index:close + 1], env)
                    index = close + 1
                    continue
            while end < len(content) and (content[end].isalnum() or content[end] == "_"):
                end += 1
            if end > index + 1:
                out += env.get(content[index + 1:end], "")
                index = end
                continue
        out += char
        index += 1
    return out
