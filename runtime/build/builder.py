"""Building an image from a Dockerfile with the store and the OCI runtime (trio).

The stages the target needs run in file order.  Config instructions are applied
in memory (``stages.apply_config``); ``RUN`` (``runinstruction``), ``COPY`` and
``ADD`` (``copying``) each work in an overlay of the stage's layers (``steprun``)
and leave one layer, unless the step's cache key (``cache``) names a layer already
made.  Only when every step has succeeded is the image written and tagged
(``stageimage``), so a failed build tags nothing.  Progress is ``BuildEvent`` data
for the CLI to draw.  This module is the orchestration: the order of the steps,
the cache, the events.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial

import trio

from common.dockerignore import Pattern
from common.errors import BuildError
from common.images import BuildRequest, BuildResult
from common.paths import Layout
from common.progress import BuildEvent, BuildReporter
from runtime.build.cache import BuildCache, CacheRecord
from runtime.build.copying import (
    CopyStep,
    context_digest,
    copy_from_context,
    copy_from_stage,
    parse_copy,
)
from runtime.build.dockerfile import Instruction, instruction_from_text
from runtime.build.request import (
    build_platform,
    ignore_patterns,
    platform_args,
    read_dockerfile,
)
from runtime.build.runinstruction import RunSettings, bound_stage_mounts, plan_run
from runtime.build.shellexpand import expand_word
from runtime.build.stageimage import BaseImages, Puller, created_time, now, scratch, write_image
from runtime.build.stages import (
    PROXY_ARGS,
    Stage,
    Stages,
    StageState,
    apply_config,
    arg_declarations,
    config_text,
    declare_args,
    meta_scope,
    needed_stages,
    stages,
    used_args,
)
from runtime.build.steprun import RunStep, Workspace, commit, layers_of, mounted_workspace, run_step
from runtime.images.documents import host_platform, parse_platform
from runtime.images.store import ImageStore
from runtime.oci.runtime import Runtime

__all__ = ["BuildEvent", "BuildReporter", "BuildRequest", "BuildResult", "Builder", "Puller"]




class Builder:
    def __init__(self, layout: Layout, store: ImageStore, runtime: Runtime,
                 report: BuildReporter, pull: Puller | None = None) -> None:
        self.layout = layout
        self.store = store
        self.runtime = runtime
        self.report = report
        self.pull = pull
        self.cache = BuildCache(layout.root / "buildcache")

    async def build(self, request: BuildRequest) -> BuildResult:
        fd = await trio.to_thread.run_sync(lambda: self.store.acquire(exclusive=False))
        try:
            return await _Build(self, request).run()
        except BuildError as exc:  # every error names the service it concerns
            if str(exc).startswith(f"service {request.label}:"):
                raise
            raise BuildError(f"service {request.label}: {exc}") from None
        finally:
            os.close(fd)


class _Build:
    def __init__(self, builder: Builder, request: BuildRequest) -> None:
        self.b = builder
        self.request = request
        self.step = 0
        self.total = 0
        self.cached = 0
        self.was_cached = False
        self.results: dict[int, StageState] = {}
        self.consumed: set[str] = set()
        self.ignore: list[Pattern] = []
        self.escape = "\\"
        self.platform = host_platform()
        self.build_args = dict(request.args)
        self.meta: dict[str, str] = {}
        self.parsed = Stages((), ())

    async def run(self) -> BuildResult:
        request = self.request
        if not request.context.is_dir():
            raise BuildError(f"service {request.label}: build context {request.context} "
                             "is not a directory")
        dockerfile = read_dockerfile(request)
        self.escape = dockerfile.escape
        self.platform = build_platform(request)
        parsed = self.parsed = stages(dockerfile)
        self.meta = meta_scope(parsed.meta_args, self.build_args, platform_args(self.platform))
        self.consumed |= {k for i in parsed.meta_args for k, _ in arg_declarations(i)}
        chosen = needed_stages(parsed, request.target, self.meta)
        self.total = sum(1 + len(s.instructions) for s in chosen)
        self.ignore = ignore_patterns(request)
        state: StageState | None = None
        for stage in chosen:
            state = await self._stage(stage)
            self.results[stage.index] = state
        assert state is not None
        unused = sorted(set(self.build_args) - self.consumed - PROXY_ARGS)
        if unused:
            self._event(0, f"[Warning] One or more build-args {unused} were not consumed",
                        "output")
        config, manifest = await trio.to_thread.run_sync(
            write_image, self.b.store, state, self.platform, request.labels, request.tags,
            request.label)
        return BuildResult(config.digest, manifest.digest, request.tags, self.cached,
                           self.total)

    # progress

    def _event(self, step: int, text: str, status: str, elapsed: float = 0.0,
               exit_code: int | None = None) -> None:
        self.b.report(BuildEvent(self.request.label, step, self.total, text, status,
                                 elapsed, exit_code))

    def _output(self, text: str) -> None:
        """A line under the current step: a RUN's output, a warning."""
        self._event(self.step, text, "output")

    # stages

    async def _stage(self, stage: Stage) -> StageState:
        self.step += 1
        base_text = expand_word(stage.base, self.meta, self.escape)
        text = f"FROM {base_text}" + (f" AS {stage.name}" if stage.name else "")
        self._event(self.step, text, "running")
        started = time.monotonic()
        platform_flag = stage.from_instruction.flag("platform")
        if platform_flag:
            wanted = parse_platform(expand_word(platform_flag, self.meta, self.escape))
            if wanted != self.platform:
                raise BuildError(f"service {self.request.label}: FROM --platform={wanted}: "
                                 f"only the host's platform {self.platform} can be built")
        other = self.parsed.find(base_text)
        if other is not None and other.index in self.results:
            state = self.results[other.index].copy()
            state.args = {}
            state.chain("stage", str(other.index))
        elif base_text == "scratch":
            state = scratch(self.platform)
        else:
            state = await self._bases().load(base_text)
        state.escape = self.escape
        self._event(self.step, text, "done", time.monotonic() - started)
        triggers = list(state.config.get("OnBuild") or [])
        if triggers:
            state.config["OnBuild"] = None
        for trigger in triggers:
            instruction = instruction_from_text(trigger, stage.from_instruction.line)
            await self._instruction(state, instruction, counted=False)
        for instruction in stage.instructions:
            self.step += 1
            await self._instruction(state, instruction)
        return state

    def _bases(self) -> BaseImages:
        b = self.b
        return BaseImages(b.store, b.pull, self.request.pull, self.platform,
                          self.request.label, self._output)

    async def _stage_or_image(self, name: str) -> StageState:
        """What ``COPY --from`` and ``RUN --mount=from=`` name: a stage built
        already, else an image."""
        other = self.parsed.find(name)
        if other is not None and other.index in self.results:
            return self.results[other.index]
        return await self._bases().load(name)

    # instructions

    async def _instruction(self, state: StageState, instruction: Instruction,
                           counted: bool = True) -> None:
        keyword = instruction.keyword
        text = config_text(instruction)
        if keyword == "ARG":
            declare_args(state, instruction, self.build_args, self.meta, self.consumed)
            state.chain("args", used_args(state))
            if counted:
                self._event(self.step, text, "done")
            return
        if keyword not in ("RUN", "COPY", "ADD"):
            try:
                apply_config(state, instruction)
            except BuildError as exc:
                raise BuildError(f"service {self.request.label}: line {instruction.line}: "
                                 f"{exc}") from None
            state.chain("config", json.dumps(state.config, sort_keys=True))
            state.add_history(text, empty=True, created=created_time(state))
            if counted:
                self._event(self.step, text, "done")
            return
        for name in _proxy_and_declared(state, self.build_args):
            self.consumed.add(name)
        self._event(self.step, text, "running")
        started = time.monotonic()
        try:
            if keyword == "RUN":
                await self._run(state, instruction, text)
            else:
                await self._copy(state, instruction, text)
        except BuildError as exc:
            self._event(self.step, f"{text}: {exc}", "error", time.monotonic() - started)
            raise
        if not self.was_cached:
            self._event(self.step, text, "done", time.monotonic() - started)
        self.was_cached = False

    async def _cached(self, state: StageState, text: str) -> bool:
        """Take the step from the cache if its key is known; True if it was."""
        if self.request.no_cache:
            return False
        record = await trio.to_thread.run_sync(self.b.cache.get, state.key)
        if record is None:
            return False
        if record.layer is not None:
            if not await trio.to_thread.run_sync(self.b.store.has_blob,
                                                 record.layer["digest"]):
                return False
            state.layers.append((record.layer, str(record.diff_id)))
            state.image.setdefault("rootfs", {"type": "layers"}).setdefault(
                "diff_ids", []).append(record.diff_id)
        state.add_history(text, empty=record.layer is None, created=record.created)
        self.cached += 1
        self.was_cached = True
        self._event(self.step, text, "cached")
        return True

    async def _fs_step(self, state: StageState, text: str,
                       action: Callable[[Workspace], Awaitable[None]]) -> None:
        """Do ``action`` in an overlay of the stage, keep its change as a layer."""
        b = self.b
        async with mounted_workspace(b.layout, b.store, layers_of(state.layers)) as space:
            await action(space)
            committed = await trio.to_thread.run_sync(commit, b.layout, b.store, space)
        created = now()
        layer = committed.layer
        if layer is not None:
            state.layers.append((layer.descriptor.as_json(), layer.diff_id))
            state.image.setdefault("rootfs", {"type": "layers"}).setdefault(
                "diff_ids", []).append(layer.diff_id)
        state.add_history(text, empty=layer is None, created=created)
        record = CacheRecord(layer.descriptor.as_json() if layer else None,
                             layer.diff_id if layer else None, created)
        await trio.to_thread.run_sync(b.cache.put, state.key, record)

    # RUN

    async def _run(self, state: StageState, instruction: Instruction, text: str) -> None:
        step, key = await plan_run(instruction, state, self._run_settings(),
                                   self._stage_or_image)
        state.chain("run", key)
        if await self._cached(state, text):
            return
        await self._fs_step(state, text, partial(self._execute, step))

    def _run_settings(self) -> RunSettings:
        request = self.request
        return RunSettings(request.network, request.extra_hosts, request.shm_size,
                           request.secrets, request.context, self.ignore,
                           self.b.layout.root / "buildcache-mounts", self.escape)

    async def _execute(self, step: RunStep, space: Workspace) -> None:
        b = self.b
        async with bound_stage_mounts(b.layout, b.store, step) as bound:
            code = await run_step(b.layout, b.runtime, space, bound, self._output)
        if code != 0:
            raise BuildError(f"service {self.request.label}: process "
                             f"\"{' '.join(step.args)}\" did not complete successfully: "
                             f"exit code: {code}")

    # COPY / ADD

    async def _copy(self, state: StageState, instruction: Instruction, text: str) -> None:
        env = state.expansion_env()
        copy = parse_copy(instruction, env, self.escape)
        source = None
        if copy.source_from is not None:
            source = await self._stage_or_image(copy.source_from)
        copy.refuse_remote(self.request.network)
        step = CopyStep(copy, copy.heredoc_files(env), state.workdir())
        state.chain(copy.keyword, step.key(), source.key if source is not None else "")
        b = self.b
        if source is not None:
            action = partial(copy_from_stage, b.layout, b.store, layers_of(source.layers), step)
        else:
            root = str(self.request.context)
            digest = await trio.to_thread.run_sync(context_digest, step, root, self.ignore)
            state.chain("content", digest)
            action = partial(copy_from_context, step, root, self.ignore)
        if not await self._cached(state, text):
            await self._fs_step(state, text, action)


def _proxy_and_declared(state: StageState, build_args: Mapping[str, str]) -> list[str]:
    """Proxy build args reach every RUN without an ARG line (and count as used)."""
    names = [k for k in build_args if k in PROXY_ARGS]
    for name in names:
        state.args.setdefault(name, build_args[name])
    return names
