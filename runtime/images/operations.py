"""The image verbs' work on the local store (synchronous; ``ImageService`` runs
it in worker threads): look-ups, listing, inspecting, tagging, and carrying out
the ``removal`` rules under the store's exclusive lock."""

from __future__ import annotations

from typing import Any

from common import state
from common.errors import ImageError, UsageError
from common.images import ImageRow, LocalImage, Pruned
from common.paths import Layout
from runtime.images.catalog import inspect, summaries
from runtime.images.reference import InvalidReference, parse_reference
from runtime.images.removal import Named, Removal, plan_prune, plan_rm
from runtime.images.store import Entry, ImageStore


def find(store: ImageStore, reference: str) -> LocalImage | None:
    """The entry a reference (or image ID) names; ImageError for a malformed one."""
    entry = store.find(reference)
    if entry is None:
        return None
    return LocalImage(entry.name, entry.manifest.digest, entry.tagged)


def rows(store: ImageStore, wanted: str | None = None) -> list[ImageRow]:
    """A row per entry; only ``wanted``'s repository (and tag, if it names one)
    when given."""
    match, any_tag = None, True
    if wanted:
        try:
            match = parse_reference(wanted)
        except InvalidReference as exc:
            raise ImageError(str(exc)) from None
        any_tag = ":" not in wanted.rsplit("/", 1)[-1]
    found = []
    for s in summaries(store):
        if match is not None:
            ref = s.reference
            if ref is None or (ref.registry, ref.repository) != (match.registry,
                                                                 match.repository):
                continue
            if not any_tag and ref.tag != match.tag:
                continue
        found.append(ImageRow(s.repository, s.tag, s.image.id, s.created, s.size, s.digest))
    return found


def inspect_names(store: ImageStore, names: list[str]) -> list[dict[str, Any]]:
    found = []
    for name in names:
        entry = store.find(name)
        if entry is None:
            raise ImageError(f"no such image: {name}")
        found.append(inspect(store, entry))
    return found


def tag(store: ImageStore, source: str, target: str) -> None:
    entry = store.find(source)
    if entry is None:
        raise ImageError(f"no such image: {source}")
    try:
        reference = parse_reference(target)
    except InvalidReference as exc:
        raise UsageError(str(exc)) from None
    if reference.digest:
        raise UsageError(f"cannot tag {target}: a tag names no digest")
    store.tag(reference, entry.manifest, source_digest=entry.source_digest)


def _named(store: ImageStore) -> list[Named]:
    found = []
    for entry in store.entries():
        familiar = parse_reference(entry.name).familiar if entry.name else None
        found.append(Named(entry.name, familiar, entry.manifest.digest,
                           store.config_digest(entry)))
    return found


def _in_use(layout: Layout) -> dict[str, str]:
    """Image ID to the name of a container made from it: those are never deleted."""
    return {r.image_id: r.name for r in state.container_records(layout)}


def _apply(store: ImageStore, layout: Layout, removal: Removal) -> int:
    """Carry out a removal under the store's exclusive lock; returns bytes freed."""
    with store.lock(exclusive=True):
        entries = {e.manifest.digest: e for e in store.entries()}
        for name in removal.untag:
            store.untag(name)
        for digest in removal.keep_dangling:
            store.add_dangling(entries[digest].manifest)
        store.forget(set(removal.forget))
        return store.collect_garbage(layout.layers)


def remove_names(store: ImageStore, layout: Layout, names: list[str],
                 force: bool) -> list[str]:
    """``image rm``: docker's ``Untagged:``/``Deleted:`` lines."""
    entries = _named(store)
    requests = []
    for text in names:
        entry = store.find(text)
        if entry is None:
            raise ImageError(f"no such image: {text}")
        image_id = store.config_digest(entry)
        by_id = not _is_reference(text, entry)
        named = Named(entry.name, parse_reference(entry.name).familiar if entry.name else None,
                      entry.manifest.digest, image_id)
        requests.append((text, named, by_id))
    removal = plan_rm(requests, entries, _in_use(layout), force=force)
    _apply(store, layout, removal)
    return removal.lines


def _is_reference(text: str, entry: Entry) -> bool:
    try:
        return entry.name == str(parse_reference(text))
    except InvalidReference:
        return False


def prune(store: ImageStore, layout: Layout, all_images: bool) -> Pruned:
    removal = plan_prune(_named(store), _in_use(layout), all_images=all_images)
    return Pruned(tuple(removal.lines), _apply(store, layout, removal))
