"""Compose files to one merged model, file after file, as docker compose loads them.

For each file, in order: parse, interpolate, resolve ``extends``, drop what its
``!reset``/``!override`` keys replace in the files before it, add the resources
of its ``include``s, merge it over the files before it, drop redefined sequence
entries (``unicity.py``), and validate the result against the schema.  Merging
before validating lets a file complete an earlier one (an override may give only
``required:`` of a ``depends_on`` entry).  Included projects go through the same
steps with their own project directory and environment.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from common.errors import ComposeFileError, Location
from compose.spec.load.extends import ExtendsSource, apply_extends
from compose.spec.load.include import Included, IncludeRequest, apply_include, resolve_environment
from compose.spec.load.interpolate import interpolate
from compose.spec.load.merge import MergeError, discard, merge
from compose.spec.load.parse import Document, KeyPath
from compose.spec.load.rebase import rebase_paths
from compose.spec.load.unicity import UnicityError, enforce_unicity
from compose.spec.load.validate import validate
from compose.spec.sources import Sources


@dataclass(frozen=True)
class Context:
    """Where a set of files is loaded from and what it is loaded with."""

    working_dir: str  # the project directory: relative `extends.file`/`include` start here
    environ: Mapping[str, str]  # what interpolation sees
    interpolate: bool
    read: Callable[[str], Document]  # one file, parsed
    read_env: Callable[[str, Mapping[str, str]], Mapping[str, str]]  # env file, environ
    warn: Callable[[str], None]
    # `config --no-path-resolution`: the main project's directory, against which the
    # paths of extended and included files are made relative instead of absolute
    relative_to: str | None = None

    def rebase_dir(self, base_dir: str) -> str:
        if self.relative_to is None:
            return base_dir
        return os.path.relpath(base_dir, self.relative_to)


@dataclass(frozen=True)
class Assembled:
    data: dict[str, Any]
    documents: tuple[Document, ...]  # every file that gave something, to locate errors


def assemble_project(files: Sequence[str], context: Context) -> Assembled:
    """The project's files merged; nothing at all in them is an error."""
    assembled = assemble(files, context)
    if not assembled.data:
        first = next((d.file for d in assembled.documents), files[0])
        raise ComposeFileError(Location(first), "empty compose file")
    return assembled


def assemble(files: Sequence[str], context: Context, chain: tuple[str, ...] = ()) -> Assembled:
    merged: dict[str, Any] = {}
    documents: list[Document] = []
    validated: set[str] = set()
    for path, document in ((p, d) for p in files for d in _read(p, context)):
        if document.data is None:  # an empty file adds nothing
            documents.append(document)
            continue
        if not isinstance(document.data, dict):
            found = type(document.data).__name__
            raise document.error((), f"a Compose file must be a mapping, found {found}")
        data = _extended(document, path, context)
        merged = discard(merged, document.resets)
        data, included = apply_include(
            data, document, working_dir=context.working_dir, environ=context.environ,
            chain=(*chain, path), load=lambda request: _include(request, context),
            read_env=context.read_env)
        documents.extend((*included, document))
        try:
            merged = merge(merged, data, base_owned=True)  # ours: made by this loop
        except MergeError as exc:
            raise document.error(exc.path, exc.message) from None
        sources = Sources(tuple(documents))
        try:
            merged = _unique_entries(merged, data, validated)
        except UnicityError as exc:
            raise sources.error(exc.path, exc.message) from None
        validate(_Merged(document.file, _unchecked(merged, data, validated), sources=sources))
        validated.update(merged.get("services") or {})
    return Assembled(merged, tuple(documents))


def _unique_entries(merged: dict[str, Any], data: dict[str, Any],
                    done: set[str]) -> dict[str, Any]:
    """``enforce_unicity`` where this file may have added duplicates: a service
    made unique after an earlier file and untouched by this one stays as it is."""
    services = merged.get("services")
    touched = data.get("services")
    if not isinstance(services, dict) or not isinstance(touched, dict) or not done:
        return cast(dict[str, Any], enforce_unicity(merged))
    result = {}
    for key, value in merged.items():
        if key != "services":
            result[key] = enforce_unicity(value, (key,))
            continue
        result[key] = {name: enforce_unicity(service, ("services", name))
                       if name in touched or name not in done else service
                       for name, service in value.items()}
    return result


def _unchecked(merged: dict[str, Any], data: dict[str, Any],
               validated: set[str]) -> dict[str, Any]:
    """What to validate after merging ``data``: services are valid or not each on
    their own, so a service validated before and untouched by this file need not be
    checked again (a large project has many overrides)."""
    services = merged.get("services")
    if not isinstance(services, dict) or not validated:
        return merged
    touched: dict[str, Any] = data["services"] if isinstance(data.get("services"), dict) else {}
    return {**merged, "services": {name: service for name, service in services.items()
                                   if name not in validated or name in touched}}


@dataclass(frozen=True)
class _Merged(Document):
    """The files merged so far, validated as one: errors point into the file that
    defines the key."""

    sources: Sources = field(default_factory=Sources)

    def locate(self, path: KeyPath) -> Location:
        return self.sources.locate(path)


def _read(path: str, context: Context) -> list[Document]:
    """A file's documents, parsed and interpolated, keeping their ``!reset`` paths."""
    first = context.read(path)
    documents = [dataclasses.replace(first, following=()), *first.following]
    if not context.interpolate:
        return documents
    return [d if d.data is None else dataclasses.replace(
        interpolate(d, context.environ, context.warn), resets=d.resets) for d in documents]


def _extended(document: Document, path: str, context: Context) -> dict[str, Any]:
    data = dict(document.data)
    if isinstance(data.get("services"), dict):
        source = ExtendsSource(document, path, data["services"], context.working_dir)
        data["services"] = apply_extends(source, lambda other: _extends_source(other, context))
    return data


def _extends_source(path: str, context: Context) -> ExtendsSource:
    """Another file a service extends: its relative paths are relative to itself."""
    document, *following = _read(path, context)
    for other in following:  # `---` documents merge into the first
        try:
            merged = merge(discard(document.data, other.resets), other.data)
        except MergeError as exc:
            raise other.error(exc.path, exc.message) from None
        document = dataclasses.replace(document, data=merged,
                                       resets=document.resets | other.resets)
    base_dir = os.path.dirname(path)
    data = rebase_paths(document.data, context.rebase_dir(base_dir))
    services = data.get("services") if isinstance(data, dict) else None
    return ExtendsSource(document, path, services if isinstance(services, dict) else None,
                         base_dir)


def _include(request: IncludeRequest, context: Context) -> Included:
    own = dataclasses.replace(context, working_dir=request.project_dir, environ=request.environ)
    assembled = assemble(request.files, own, request.chain)
    data = rebase_paths(assembled.data, context.rebase_dir(request.project_dir),
                        default_context=True)
    return Included(resolve_environment(data, request.environ), assembled.documents)
