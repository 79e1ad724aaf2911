"""docker compose's ``build`` struct as a ``gomodel`` spec: the context made absolute
(unless remote), ``dockerfile`` defaulted, bare ``args`` taken from the environment."""

from __future__ import annotations

from typing import Any

from compose.spec.golang import values as govalues
from compose.spec.golang.mounts import file_references
from compose.spec.golang.structs import (
    Context,
    Struct,
    boolean,
    field,
    go_map,
    hosts_list,
    labels,
    map_of,
    pairs,
    path,
    size,
    string,
    strings,
    ulimit,
)


def _ssh(value: Any, ctx: Context) -> Any:
    """``SSHConfig``: ``id`` or ``id=path`` entries; a path is made absolute and the
    entry printed as ``id: path``."""
    result = []
    for key, key_path in pairs(value):
        if key_path is None or key_path == "":
            result.append(key)
        else:
            result.append(f"{key}: {path(key_path, ctx)}")
    return result


_REMOTE = ("https://", "http://", "git://", "ssh://", "github.com/", "git@")


def build_context(value: Any, ctx: Context) -> Any:
    """A local context is made absolute; URLs and ``type://`` contexts are kept."""
    text = govalues.to_str(value)
    if "://" in text or text.startswith((*_REMOTE, "service:")):  # service: another image
        return text
    return path(text, ctx)


def _additional_contexts(value: Any, ctx: Context) -> Any:
    return go_map((k, build_context(v, ctx)) for k, v in labels(value, ctx).items())


def _args(value: Any, ctx: Context) -> Any:
    """Build args: a bare ``KEY`` takes its value from the environment, else is dropped."""
    result: dict[str, str] = {}
    for key, item in pairs(value):
        if item is None:
            if key in ctx.environ:
                result[key] = ctx.environ[key]
        else:
            result[key] = govalues.to_str(item)
    return go_map(result.items())


BUILD = Struct(
    field("context", build_context), field("dockerfile", string),
    field("dockerfile_inline", string), field("entitlements", strings), field("args", _args),
    field("provenance", string), field("sbom", string), field("ssh", _ssh),
    field("labels", labels), field("cache_from", strings), field("cache_to", strings),
    field("no_cache", boolean), field("no_cache_filter", strings),
    field("additional_contexts", _additional_contexts), field("pull", boolean),
    field("extra_hosts", hosts_list), field("isolation", string), field("network", string),
    field("target", string), field("secrets", file_references(None)),
    field("shm_size", size), field("tags", strings), field("ulimits", map_of(ulimit)),
    field("platforms", strings), field("privileged", boolean),
)


def build(value: Any, ctx: Context) -> Any:
    build = {"context": value} if isinstance(value, str) else dict(value)
    build.setdefault("context", ".")
    if not build.get("dockerfile") and not build.get("dockerfile_inline"):
        build["dockerfile"] = "Dockerfile"
    return BUILD(build, ctx)
