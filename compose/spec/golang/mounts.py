"""Service ``volumes`` and ``secrets``/``configs`` references in docker compose's long
form: short syntaxes expanded, bind sources absolute, a later entry for the same
target replacing an earlier one (compose-go's unicity rule)."""

from __future__ import annotations

from typing import Any

from compose.spec.golang.structs import (
    Context,
    Struct,
    boolean,
    field,
    file_mode,
    integer,
    labels,
    size,
    string,
)
from compose.spec.syntax.volumespec import clean_target, parse_volume, resolve_source

_FILE_REFERENCE = Struct(
    field("source", string), field("target", string), field("uid", string),
    field("gid", string), field("mode", file_mode, pointer=True),
)


def file_references(default_dir: str | None) -> Any:
    """Service ``secrets``/``configs`` (and build secrets): names to ``{source}``;
    secrets get ``target: /run/secrets/<source>``; a later entry for the same
    target replaces an earlier one."""
    def convert(value: Any, ctx: Context) -> Any:
        result: list[dict[str, Any]] = []
        seen: dict[str, int] = {}
        for entry in value:
            ref = dict(_FILE_REFERENCE({"source": entry} if isinstance(entry, str) else entry,
                                       ctx))
            if default_dir and not ref.get("target"):
                ref = _with_target(ref, f"{default_dir}/{ref.get('source', '')}")
            key = ref.get("target") or f"{default_dir or ''}/{ref.get('source', '')}"
            if key in seen:
                result[seen[key]] = ref
            else:
                seen[key] = len(result)
                result.append(ref)
        return result
    return convert


def _with_target(ref: dict[str, Any], target: str) -> dict[str, Any]:
    result = {"source": ref["source"]} if "source" in ref else {}
    result["target"] = target
    result.update((k, v) for k, v in ref.items() if k not in result)
    return result


_BIND = Struct(field("selinux", string), field("propagation", string),
               field("create_host_path", boolean), field("recursive", string))
_VOLUME_OPTIONS = Struct(field("labels", labels), field("nocopy", boolean),
                         field("subpath", string))
_TMPFS = Struct(field("size", size), field("mode", integer))
_IMAGE = Struct(field("subpath", string))
_SERVICE_VOLUME = Struct(
    field("type", string), field("source", string), field("target", string),
    field("read_only", boolean), field("consistency", string),
    field("bind", _BIND, pointer=True), field("volume", _VOLUME_OPTIONS, pointer=True),
    field("tmpfs", _TMPFS, pointer=True), field("image", _IMAGE, pointer=True),
)


def volumes(value: Any, ctx: Context) -> Any:
    """Long form, bind sources absolute, targets cleaned; the last entry for a target
    wins, in the first one's place."""
    result: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for entry in value:
        volume = parse_volume(entry) if isinstance(entry, str) else dict(entry)
        volume = _SERVICE_VOLUME(volume, ctx)
        if volume.get("type") == "bind" and volume.get("source") and ctx.resolve_paths:
            volume["source"] = resolve_source(volume["source"], ctx.working_dir, ctx.environ)
        # compose-go cleans a short spec's target before it de-duplicates, a long
        # one's after: {target: /data/} and /data stay two (and then clash)
        key = str(volume.get("target", ""))
        if volume.get("target"):
            volume["target"] = clean_target(volume["target"])
        if isinstance(entry, str):
            key = volume.get("target", "")
        if key in seen:
            result[seen[key]] = volume
        else:
            seen[key] = len(result)
            result.append(volume)
    return result
