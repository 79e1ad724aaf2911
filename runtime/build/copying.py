"""COPY and ADD, as the steps they are: the instruction parsed into a frozen
``CopyInstruction``, made a ``CopyStep`` (its here-documents' text and the stage's
``WORKDIR``) that keys the cache, then copied from one of two sources: the build
context (``copy_from_context``) or another stage's or image's root
(``copy_from_stage``).  The builder does the caching and the layer; this module
decides what is copied where.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import trio

from common.dockerignore import Pattern
from common.errors import BuildError
from common.paths import Layout
from runtime.build.context import CopyPlan, Entry, content_key, parse_chmod, plan_copy
from runtime.build.dockerfile import Heredoc, Instruction
from runtime.build.files import expand_heredoc, write_files
from runtime.build.shellexpand import expand_word, expand_words
from runtime.build.steprun import Workspace, mounted_workspace
from runtime.images.store import ImageStore, Layer

HeredocFile = tuple[str, str]
"""A here-document named as a source: its name and its (expanded) text."""


@dataclass(frozen=True)
class CopyInstruction:
    """A COPY or ADD with its words expanded: what to copy, where, owned how."""

    keyword: str
    line: int
    sources: tuple[str, ...]
    """Patterns in the context or the ``--from`` root; here-document words taken out."""
    heredocs: tuple[Heredoc, ...]
    """The here-documents named among the sources, in their order."""
    dest: str
    chown: str
    chmod: str
    """As written: the key holds the text, ``mode`` its value."""
    mode: int | None
    source_from: str | None
    """``--from``, expanded (even to nothing); None to copy from the build context."""
    link: str

    @property
    def what(self) -> str:
        """How errors name the instruction."""
        return f"line {self.line}: {self.keyword}"

    def refuse_remote(self, network: str) -> None:
        """URLs and git sources: COPY never takes them, ADD would need the network."""
        if self.keyword == "COPY" and any(s.startswith(("http://", "https://"))
                                          for s in self.sources):
            raise BuildError(f"{self.what}: source can't be a URL for COPY (use ADD)")
        remote = [s for s in self.sources if s.startswith(("http://", "https://", "git@"))]
        if remote:
            raise BuildError(f"{self.what}: {remote[0]}: remote sources need network access, "
                             f"which builds here do not have (network: {network})")

    def heredoc_files(self, env: Mapping[str, str]) -> tuple[HeredocFile, ...]:
        """The here-documents' text, variables expanded unless the delimiter was quoted."""
        return tuple((h.name, expand_heredoc(h.content, env) if h.expand else h.content)
                     for h in self.heredocs)


def parse_copy(instruction: Instruction, env: Mapping[str, str],
               escape: str) -> CopyInstruction:
    """The instruction's words and flags, expanded and checked (BuildError)."""
    keyword = instruction.keyword
    exec_form = instruction.exec_form
    if exec_form is not None:
        words = [expand_word(w, env, escape) for w in exec_form]
    else:
        words = expand_words(instruction.rest, env, escape)
    if len(words) < 2 and not instruction.heredocs:
        raise BuildError(f"line {instruction.line}: {keyword} requires at least two "
                         "arguments")
    *sources, dest = words
    chown = expand_word(instruction.flag("chown") or "", env, escape)
    chmod = instruction.flag("chmod") or ""
    mode = parse_chmod(chmod)
    raw_from = instruction.flag("from")
    source_from = expand_word(raw_from, env, escape) if raw_from else None
    named = {h.name: h for h in instruction.heredocs}
    words_heredocs = [(s, _heredoc_named(s, named)) for s in sources]
    return CopyInstruction(
        keyword, instruction.line, tuple(s for s, h in words_heredocs if h is None),
        tuple(h for _, h in words_heredocs if h is not None),
        dest, chown, chmod, mode, source_from, instruction.flag("link") or "")


def _heredoc_named(word: str, heredocs: Mapping[str, Heredoc]) -> Heredoc | None:
    """The here-document a ``<<NAME`` source word stands for, if any."""
    if not word.startswith("<<"):
        return None
    return heredocs.get(word[2:].lstrip("-").strip("\"'"))


@dataclass(frozen=True)
class CopyStep:
    """A COPY/ADD ready to plan: the instruction, its here-documents' text and the
    stage's ``WORKDIR`` (relative destinations follow it)."""

    copy: CopyInstruction
    files: tuple[HeredocFile, ...]
    workdir: str

    def key(self) -> str:
        """The instruction as the cache key holds it (the file contents are keyed
        apart: ``context_digest``, or the source stage's key).  Existing cache
        entries were keyed with exactly this list: keep its shape."""
        copy = self.copy
        return json.dumps([list(copy.sources), copy.dest, copy.chown, copy.chmod,
                           list(self.files), copy.link])

    @property
    def into_dir(self) -> bool:
        """Whether ``dest`` is a directory: it ends in ``/``, or there are several sources."""
        return self.copy.dest.endswith("/") or len(self.copy.sources) + len(self.files) > 1

    def plan(self, root: str, ignore: list[Pattern], heredoc_dir: str = "") -> CopyPlan:
        """The tar entries to write, sources matched under ``root``; the here-documents
        are entries only once written into ``heredoc_dir`` (until then they are keyed
        by their text)."""
        copy = self.copy
        dest = copy.dest
        target = posixpath.normpath(dest if dest.startswith("/")
                                    else posixpath.join(self.workdir, dest))
        if copy.sources:
            plan = plan_copy(root, list(copy.sources), dest, self.workdir, ignore, copy.what)
        else:
            plan = CopyPlan(target if self.into_dir else posixpath.dirname(target) or "/", ())
        if not heredoc_dir:
            return plan
        extra = tuple(Entry(os.path.join(heredoc_dir, name),
                            name if self.into_dir else posixpath.basename(target))
                      for name, _ in self.files)
        return CopyPlan(plan.dest_dir, plan.entries + extra)


def context_digest(step: CopyStep, root: str, ignore: list[Pattern]) -> str:
    """A digest of the context files the step would copy (synchronous)."""
    return content_key(step.plan(root, ignore), step.copy.chown, step.copy.chmod)


async def copy_from_context(step: CopyStep, root: str, ignore: list[Pattern],
                            space: Workspace) -> None:
    """Copy from the build context (``.dockerignore`` applied) into the workspace,
    with the here-documents written as files first."""
    heredoc_dir = _write_heredocs(space.path / "heredocs", step.files)
    plan = await trio.to_thread.run_sync(step.plan, root, ignore, str(heredoc_dir))
    await _write(space, step, plan, extract=True)


async def copy_from_stage(layout: Layout, store: ImageStore, layers: Sequence[Layer],
                          step: CopyStep, space: Workspace) -> None:
    """Copy from a mounted overlay of another stage's (or image's) ``layers``: no
    ``.dockerignore``, no here-documents, and ADD extracts no archive."""
    async with mounted_workspace(layout, store, layers) as source:
        plan = await trio.to_thread.run_sync(step.plan, str(source.rootfs), [])
        await _write(space, step, plan, extract=False)


def _write_heredocs(directory: Path, files: Sequence[HeredocFile]) -> Path:
    directory.mkdir()
    for name, body in files:
        (directory / name).write_text(body)
        os.chmod(directory / name, 0o644)
    return directory


async def _write(space: Workspace, step: CopyStep, plan: CopyPlan, *, extract: bool) -> None:
    copy = step.copy
    await trio.to_thread.run_sync(partial(write_files, str(space.rootfs), copy.keyword, plan,
                                          copy.dest, copy.chown, copy.mode, extract=extract))
