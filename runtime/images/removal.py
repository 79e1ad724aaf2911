"""``image rm`` and ``image prune`` decided over plain values (pure), as dockerd
decides them: a name is untagged, an image is deleted with its last name, and an
image a container record uses is never deleted (forcing only untags it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from common.errors import ImageError


@dataclass(frozen=True)
class Named:
    """One index entry: a name (None when dangling), its manifest and image ID."""

    name: str | None
    familiar: str | None
    manifest: str
    image_id: str


@dataclass
class Removal:
    untag: list[str] = field(default_factory=list)
    """Full names to remove."""
    forget: list[str] = field(default_factory=list)
    """Manifest digests whose entries all go (their blobs are then garbage)."""
    keep_dangling: list[str] = field(default_factory=list)
    """Manifests that lose their last name but stay, used by a container."""
    lines: list[str] = field(default_factory=list)


def plan_rm(requests: Sequence[tuple[str, Named, bool]], entries: Sequence[Named],
            in_use: Mapping[str, str], *, force: bool = False) -> Removal:
    """``requests``: what each argument resolved to, and whether it named an image
    ID; ``in_use``: image ID to the name of a container using it."""
    names: dict[str | None, Named] = {e.name: e for e in entries if e.name}
    removal = Removal()
    for text, target, by_id in requests:
        short = target.image_id.removeprefix("sha256:")[:12]
        user = in_use.get(target.image_id)
        same = [e for e in names.values() if e.manifest == target.manifest]
        if by_id or target.name is None:
            if len(same) > 1 and not force:
                raise ImageError(f"conflict: unable to delete {short} (must be forced) - "
                                 "image is referenced in multiple repositories")
            if user:
                raise ImageError(f"conflict: unable to delete {short} - image is being used "
                                 f"by container {user} (remove it with down first)")
            _untag(removal, names, same)
            _delete(removal, target)
            continue
        if target.name not in names:
            raise ImageError(f"no such image: {text}")
        if len(same) == 1 and user:
            if not force:
                raise ImageError(f'conflict: unable to remove repository reference "{text}" '
                                 f"(must force) - container {user} is using its referenced "
                                 f"image {short}")
            removal.keep_dangling.append(target.manifest)
            _untag(removal, names, [target])
            continue
        _untag(removal, names, [target])
        if len(same) == 1:
            _delete(removal, target)
    return removal


def _untag(removal: Removal, names: dict[str | None, Named], targets: list[Named]) -> None:
    for entry in targets:
        assert entry.name is not None
        removal.untag.append(entry.name)
        removal.lines.append(f"Untagged: {entry.familiar}")
        names.pop(entry.name, None)


def _delete(removal: Removal, target: Named) -> None:
    if target.manifest not in removal.forget:
        removal.forget.append(target.manifest)
        removal.lines.append(f"Deleted: {target.image_id}")


def plan_prune(entries: Sequence[Named], in_use: Mapping[str, str], *,
               all_images: bool = False) -> Removal:
    """Dangling images no container uses; with ``all_images``, every such image."""
    removal = Removal()
    for entry in entries:
        if entry.image_id in in_use or (entry.name is not None and not all_images):
            continue
        if entry.name is not None:
            removal.untag.append(entry.name)
            removal.lines.append(f"untagged: {entry.familiar}")
        if entry.manifest not in removal.forget and not any(
                e.manifest == entry.manifest and e.name is not None and not all_images
                for e in entries):
            removal.forget.append(entry.manifest)
            removal.lines.append(f"deleted: {entry.image_id}")
    return removal
