"""COPY and ADD sources: files of the build context (or of another stage's root)
chosen by patterns, ``.dockerignore`` applied, as one plan of tar entries.

``plan_copy`` decides the destination names with Docker's rules (a directory
source copies its contents; a destination ending in ``/``, or several sources,
is a directory), ``content_key`` digests what would be copied for the cache, and
``write_tar`` writes the entries with the owner and mode ``--chown``/``--chmod``
ask for.  The tarball is extracted with ``runtime.images.unpack`` into the destination
directory resolved inside the root, so nothing escapes it.  The sources are
resolved inside their root too (``in_root``): a symlink in the context, or in
another stage's root, leads to a file of that tree or to nothing, never to one of
the host's (a context's ``etc -> /etc`` names the context's ``etc``).  Synchronous.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import posixpath
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from common.dockerignore import Pattern, is_excluded, may_contain_included
from common.errors import BuildError
from runtime.ocispec.users import resolve_in_root


@dataclass(frozen=True)
class Entry:
    source: str
    """Host path of the file to copy."""
    name: str
    """Path in the tarball, relative to the destination directory."""


@dataclass(frozen=True)
class CopyPlan:
    dest_dir: str
    """The destination directory inside the image (absolute)."""
    entries: tuple[Entry, ...]


def in_root(root: str, relative: str, *, follow: bool = False) -> str:
    """The host path of ``relative`` in the tree ``root``, its symlinks followed
    as if ``root`` were ``/``; the last one too with ``follow``."""
    if follow or not relative:
        return resolve_in_root(root, relative)
    parent, _, name = relative.rpartition("/")
    return os.path.join(resolve_in_root(root, parent), name)


def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


def match_sources(root: str, pattern: str, ignore: list[Pattern]) -> list[str]:
    """Paths relative to ``root`` that a source pattern names (Go filepath.Match
    per component); an excluded path is never matched."""
    cleaned = posixpath.normpath("/" + pattern).lstrip("/")
    if cleaned in ("", "."):
        return [""]
    if not _has_magic(cleaned):
        full = in_root(root, cleaned)
        if os.path.lexists(full) and not is_excluded(cleaned, ignore):
            return [cleaned]
        return []
    found = [""]
    for part in cleaned.split("/"):
        following = []
        for base in found:
            directory = in_root(root, base, follow=True)
            if not os.path.isdir(directory):
                continue
            names = sorted(os.listdir(directory)) if _has_magic(part) else (
                [part] if os.path.lexists(os.path.join(directory, part)) else [])
            following += [f"{base}/{n}" if base else n for n in names
                          if fnmatch.fnmatchcase(n, part) or n == part]
        found = following
    return [p for p in found if not is_excluded(p, ignore)]


def _walk(root: str, relative: str, ignore: list[Pattern]) -> list[str]:
    """Every path under ``relative`` (itself excluded), skipping ignored ones."""
    found: list[str] = []
    directory = in_root(root, relative, follow=True)
    for name in sorted(os.listdir(directory)):
        rel = f"{relative}/{name}" if relative else name
        full = os.path.join(directory, name)
        excluded = is_excluded(rel, ignore)
        is_dir = os.path.isdir(full) and not os.path.islink(full)
        if excluded and not (is_dir and may_contain_included(rel, ignore)):
            continue
        if not excluded:
            found.append(rel)
        if is_dir:
            found.extend(_walk(root, rel, ignore))
    return found


def plan_copy(root: str, sources: list[str], dest: str, workdir: str,
              ignore: list[Pattern], what: str) -> CopyPlan:
    """What a COPY of ``sources`` (patterns relative to ``root``) to ``dest`` writes."""
    if not sources:
        raise BuildError(f"{what}: needs a source and a destination")
    target = dest if dest.startswith("/") else posixpath.join(workdir, dest)
    dir_target = dest.endswith("/") or dest in (".", "") or dest.endswith("/.") \
        or len(sources) > 1
    matched: list[str] = []
    for pattern in sources:
        found = match_sources(root, pattern, ignore)
        if not found:
            raise BuildError(f"{what}: {pattern!r} not found in the build context "
                             "(or excluded by .dockerignore)")
        matched += found
    if len(matched) > 1:
        dir_target = True
    entries: list[Entry] = []
    for rel in matched:
        full = in_root(root, rel)
        if os.path.isdir(full) and not os.path.islink(full):
            entries += [Entry(in_root(root, p), p[len(rel) + 1:] if rel else p)
                        for p in _walk(root, rel, ignore)]
            dir_target = True
        else:
            entries.append(Entry(full, os.path.basename(rel)))
    target = posixpath.normpath(target)
    if not dir_target and len(entries) == 1:
        return CopyPlan(posixpath.dirname(target) or "/",
                        (Entry(entries[0].source, posixpath.basename(target)),))
    return CopyPlan(target, tuple(entries))


def content_key(plan: CopyPlan, chown: str, chmod: str) -> str:
    """A digest of the names, types, modes and contents to copy."""
    digest = hashlib.sha256(f"{plan.dest_dir}\0{chown}\0{chmod}".encode())
    for entry in plan.entries:
        st = os.lstat(entry.source)
        digest.update(f"\0{entry.name}\0{st.st_mode:o}".encode())
        if stat.S_ISLNK(st.st_mode):
            digest.update(os.readlink(entry.source).encode())
        elif stat.S_ISREG(st.st_mode):
            with open(entry.source, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
    return digest.hexdigest()


def parse_chmod(text: str) -> int | None:
    if not text:
        return None
    try:
        value = int(text, 8)
    except ValueError:
        raise BuildError(f"--chmod={text}: only octal modes are supported") from None
    if not 0 <= value <= 0o7777:
        raise BuildError(f"--chmod={text}: invalid mode")
    return value


def write_tar(plan: CopyPlan, output: IO[bytes], uid: int, gid: int,
              mode: int | None) -> None:
    """The entries as an uncompressed tarball, owned by ``uid:gid``."""
    with tarfile.open(fileobj=output, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in plan.entries:
            info = tar.gettarinfo(entry.source, arcname=entry.name)
            info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""
            if mode is not None and not info.issym():
                info.mode = mode
            if info.isreg():
                with open(entry.source, "rb") as handle:
                    tar.addfile(info, handle)
            elif info.isdir() or info.issym() or info.islnk():
                tar.addfile(info)
            # sockets and devices in a context are skipped, as Docker skips sockets


def is_archive(path: str) -> bool:
    """Whether ADD should extract ``path`` (a tar, plain or compressed)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(262)
    except OSError:
        return False
    if head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00":
        return True
    return len(head) >= 262 and head[257:262] == b"ustar"


def read_ignore(context: Path, dockerfile: Path | None) -> str:
    """``<Dockerfile>.dockerignore`` beside the Dockerfile first, else the context's."""
    candidates = []
    if dockerfile is not None:
        candidates.append(dockerfile.with_name(dockerfile.name + ".dockerignore"))
    candidates.append(context / ".dockerignore")
    for candidate in candidates:
        try:
            return candidate.read_text()
        except (FileNotFoundError, NotADirectoryError):
            continue
    return ""
