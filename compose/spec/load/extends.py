"""``extends``: a service starts from another service's definition, then overrides it.

The base service is in the same file (``extends: base``) or in another one
(``extends: {file: common.yaml, service: base}``, relative to the project
directory for the project's own files, to the extending file's directory for a
file that was itself extended).  Chains are followed to their end; a service met
twice along one chain is a cycle.  The extending service is merged over its base
with the usual merge rules, after dropping what it tagged ``!reset``/``!override``;
the ``extends`` key is gone from the result.  This runs on each file before the
files are merged together, as in docker compose.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from compose.spec.load.merge import MergeError, discard, merge
from compose.spec.load.parse import Document

Chain = tuple[tuple[str, str], ...]  # (file, service) pairs met so far


@dataclass(frozen=True)
class ExtendsSource:
    """One file's services as ``extends`` sees them."""

    document: Document  # interpolated, with its `!reset` paths; used to locate errors
    path: str  # the file, absolute: identifies it in cycles
    services: Mapping[str, Any] | None  # None: the file has no `services` mapping
    base_dir: str  # where a relative `extends.file` starts


LoadSource = Callable[[str], ExtendsSource]  # an absolute file path -> its services


def apply_extends(source: ExtendsSource, load: LoadSource) -> dict[str, Any]:
    """The file's services with every ``extends`` resolved."""
    services = dict(source.services or {})
    for name in list(services):
        services[name] = _resolve(name, services, source, load, ())
    return services


def _resolve(name: str, services: dict[str, Any], source: ExtendsSource, load: LoadSource,
             chain: Chain) -> Any:
    """``services[name]`` extended; ``services`` is updated so each is resolved once."""
    service = services[name]
    if not isinstance(service, dict) or "extends" not in service:
        return service
    ref, file = _reference(name, service["extends"], source.document)
    where = ("services", name, "extends")
    if file is None:
        if ref not in services:
            raise source.document.error(
                where, f'cannot extend service "{name}" in {source.document.file}: '
                       f'service "{ref}" not found')
        base_source, base_services = source, services
    else:
        base_source = _load(file, source, load, where)
        if base_source.services is None:
            raise source.document.error(
                where, f'cannot extend service "{name}" in {base_source.document.file}: '
                       "no services section")
        if ref not in base_source.services:
            raise source.document.error(
                where, f'cannot extend service "{name}" in {source.document.file}: '
                       f'service "{ref}" not found in {file}')
        base_services = dict(base_source.services)
    link = (source.path, name)
    if link in chain:
        raise source.document.error(where, _circular((*chain, link), source))
    base = _resolve(ref, base_services, base_source, load, (*chain, link))
    if base is None:
        return service
    if not isinstance(base, dict):
        raise base_source.document.error(("services", ref), "must be a mapping")
    start = discard({"services": {name: base}}, source.document.resets)  # merge copies it
    try:
        merged = merge(start["services"][name], service, ("services", name))
    except MergeError as exc:
        raise source.document.error(exc.path, exc.message) from None
    merged.pop("extends", None)
    services[name] = merged
    return merged


def _reference(name: str, extends: Any, document: Document) -> tuple[str, str | None]:
    """``extends: base`` or ``extends: {service: base, file: other.yaml}``."""
    where = ("services", name, "extends")
    if isinstance(extends, str):
        return extends, None
    if not isinstance(extends, dict):
        raise document.error(where, "must be a string or a mapping")
    ref = extends.get("service")
    if not isinstance(ref, str):
        raise document.error(where, f"extends.{name}.service is required")
    file = extends.get("file")
    if file is not None and not isinstance(file, str):
        raise document.error((*where, "file"), "must be a string")
    return ref, file


def _load(file: str, source: ExtendsSource, load: LoadSource,
          where: tuple[str, ...]) -> ExtendsSource:
    path = os.path.normpath(os.path.join(source.base_dir, os.path.expanduser(file)))
    if not os.path.isfile(path):
        raise source.document.error((*where, "file"), f"open {path}: no such file or directory")
    return load(path)


def _circular(chain: Chain, source: ExtendsSource) -> str:
    """docker compose's ``Circular reference`` message, on one line."""
    def shown(path: str) -> str:
        return source.document.file if path == source.path else path

    (first_file, first), *rest = chain
    steps = [f"{first} in {shown(first_file)}", *(f"extends {s} in {shown(f)}" for f, s in rest)]
    return "Circular reference: " + ", ".join(steps)
