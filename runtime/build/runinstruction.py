"""A ``RUN`` instruction as a ``RunStep`` and its cache key: the command (exec form,
shell form, or here-documents), ``--network`` and each ``--mount`` resolved to
what the step binds.  ``from=`` mounts name a stage's layers, which
``bound_stage_mounts`` mounts as overlays while the step runs.  The builder does
the caching and the layer; ``steprun`` runs the step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import posixpath
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import trio

from common.dockerignore import Pattern
from common.errors import BuildError
from common.paths import Layout
from runtime.build.dockerfile import Instruction
from runtime.build.files import tree_key
from runtime.build.shellexpand import expand_word
from runtime.build.stages import PROXY_ARGS, StageState, parse_mount
from runtime.build.steprun import RunMount, RunStep, layers_of, mounted_workspace
from runtime.images.store import ImageStore
from runtime.ocispec.users import resolve_in_root

StageSource = Callable[[str], Awaitable[StageState]]
"""A stage (by name or index) or an image, as ``--mount=from=`` names it."""

ResolvedMount = tuple[RunMount, str] | None
"""A mount and its part of the cache key, or None when nothing is mounted."""


@dataclass(frozen=True)
class RunSettings:
    """What every RUN of a build shares: the request's settings, and what
    ``--mount`` resolves against."""

    network: str
    extra_hosts: tuple[tuple[str, str], ...]
    shm_size: int | None
    secrets: Mapping[str, str]
    """Secret id to host file."""
    context: Path
    ignore: list[Pattern]
    cache_mounts: Path
    """Where ``type=cache`` directories live, kept between builds."""
    escape: str


def run_command(instruction: Instruction,
                state: StageState) -> tuple[list[str], tuple[tuple[str, str], ...]]:
    """The process's arguments, and the scripts mounted for it (a lone here-document
    starting with ``#!`` runs as ``/dev/pipes/<name>``, as BuildKit runs it)."""
    exec_form = instruction.exec_form
    if exec_form is not None:
        return exec_form, ()
    heredocs = instruction.heredocs
    if len(heredocs) == 1 and _only_heredoc(instruction.rest):
        if heredocs[0].content.startswith("#!"):
            script = f"/dev/pipes/{heredocs[0].name}"
            return [script], ((script, heredocs[0].content),)
        return [*state.shell(), heredocs[0].content], ()
    if heredocs:
        script = instruction.rest + "\n" + "".join(f"{h.content}{h.name}\n" for h in heredocs)
        return [*state.shell(), script], ()
    return [*state.shell(), instruction.rest], ()


def _only_heredoc(rest: str) -> bool:
    """``RUN <<EOF``: the here-document is the whole script."""
    words = rest.split()
    return len(words) == 1 and words[0].startswith("<<")


async def plan_run(instruction: Instruction, state: StageState, settings: RunSettings,
                   from_stage: StageSource) -> tuple[RunStep, str]:
    """The step a RUN takes and its part of the cache key (proxy args left out)."""
    args, scripts = run_command(instruction, state)
    network = (instruction.flag("network") or settings.network or "default").lower()
    if network not in ("none", "host", "default"):
        raise BuildError(f"RUN --network={network}: only none, host and default")
    mounts, mount_keys = await run_mounts(instruction, state, settings, from_stage)
    step = RunStep(tuple(args), tuple(state.run_env()), state.workdir(),
                   str(state.config.get("User") or ""), network, settings.extra_hosts,
                   settings.shm_size, tuple(mounts), scripts)
    keyed_env = [e for e in step.env if e.partition("=")[0] not in PROXY_ARGS]
    return step, json.dumps([step.args, keyed_env, step.cwd, step.user, step.network,
                             mount_keys, step.scripts])


async def run_mounts(instruction: Instruction, state: StageState, settings: RunSettings,
                     from_stage: StageSource) -> tuple[list[RunMount], list[str]]:
    """Each ``--mount`` resolved, with its part of the cache key (a secret's
    contents never enter it)."""
    mounts: list[RunMount] = []
    keys: list[str] = []
    for raw in instruction.flag_all("mount"):
        options = parse_mount(raw, instruction.line)
        target = options.get("target", "")
        if target and not target.startswith("/"):
            target = posixpath.join(state.workdir(), target)
        kind = options["type"]
        found: ResolvedMount
        if kind == "cache":
            found = _cache_mount(options, target, settings.cache_mounts)
        elif kind == "tmpfs":
            found = RunMount(target, "tmpfs"), f"tmpfs:{target}"
        elif kind == "secret":
            found = _secret_mount(options, target, settings.secrets)
        elif options.get("from"):  # bind from another stage's (or image's) root
            name = expand_word(options["from"], state.expansion_env(), settings.escape)
            found = _stage_mount(options, target, await from_stage(name))
        else:
            found = await _context_mount(options, target, settings)
        if found is not None:
            mounts.append(found[0])
            keys.append(found[1])
    return mounts, keys


def _cache_mount(options: Mapping[str, str], target: str, root: Path) -> ResolvedMount:
    ident = options.get("id") or target
    directory = root / hashlib.sha256(ident.encode()).hexdigest()[:32]
    directory.mkdir(parents=True, exist_ok=True)
    return RunMount(target, "bind", str(directory)), f"cache:{target}:{ident}"


def _secret_mount(options: Mapping[str, str], target: str,
                  secrets: Mapping[str, str]) -> ResolvedMount:
    ident = options.get("id") or posixpath.basename(target)
    source = secrets.get(ident)
    if source is None:
        if options.get("required") == "true":
            raise BuildError(f"secret {ident!r} is not defined for this build "
                             "(build.secrets)")
        return None
    return (RunMount(target or f"/run/secrets/{ident}", "bind", source, readonly=True),
            f"secret:{ident}:{target}")


def _stage_mount(options: Mapping[str, str], target: str, stage: StageState) -> ResolvedMount:
    source = options.get("source", "/")
    return (RunMount(target, "stage", source, readonly=_readonly(options),
                     layers=tuple(layers_of(stage.layers))),
            f"bind-from:{target}:{stage.key}:{source}")


async def _context_mount(options: Mapping[str, str], target: str,
                         settings: RunSettings) -> ResolvedMount:
    context = str(settings.context)
    source = resolve_in_root(context, options.get("source", ""))
    digest = await trio.to_thread.run_sync(tree_key, source, settings.ignore, context)
    # the trailing ":/" is kept so that earlier builds' cache entries still match
    return (RunMount(target, "bind", source, readonly=_readonly(options)),
            f"bind:{target}:{digest}:/")


def _readonly(options: Mapping[str, str]) -> bool:
    return options.get("rw") != "true" and options.get("readwrite") != "true"


@asynccontextmanager
async def bound_stage_mounts(layout: Layout, store: ImageStore,
                             step: RunStep) -> AsyncIterator[RunStep]:
    """The step with its ``from=`` mounts bound from overlays of their stages,
    unmounted afterwards."""
    async with AsyncExitStack() as stack:
        mounts = []
        for mount in step.mounts:
            if mount.kind != "stage":
                mounts.append(mount)
                continue
            space = await stack.enter_async_context(
                mounted_workspace(layout, store, mount.layers))
            source = resolve_in_root(str(space.rootfs), mount.source)
            mounts.append(RunMount(mount.target, "bind", source, mount.readonly))
        yield dataclasses.replace(step, mounts=tuple(mounts))
