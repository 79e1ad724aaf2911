"""Building an image from a Dockerfile with the store and the OCI runtime (trio).

The stages the target needs run in file order.  Config instructions are applied
in memory (``buildstages.apply_config``); ``RUN``, ``COPY`` and ``ADD`` each work in
an overlay of the stage's layers (``buildrun``) and leave one layer, unless the
step's cache key (``buildcache``) names a layer already made.  Only when every
step has succeeded are the config and manifest written and the tags moved, so a
failed build tags nothing.  Progress is ``BuildEvent`` data for the CLI to draw.
"""

from __future__ import annotations

import dataclasses
import json
import os
import posixpath
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import trio

from common.errors import BuildError, ImageError
from common.images import BuildRequest, BuildResult
from common.paths import Layout
from common.progress import BuildEvent, BuildReporter
from runtime.build import context as buildcontext
from runtime.build.cache import BuildCache, CacheRecord
from runtime.build.dockerfile import Dockerfile, Heredoc, Instruction, instruction_from_text, parse
from runtime.build.dockerignore import Pattern, parse_ignore
from runtime.build.files import expand_heredoc, tree_key, write_files
from runtime.build.shellexpand import expand_word, expand_words
from runtime.build.stages import (
    PROXY_ARGS,
    Stage,
    StageState,
    apply_config,
    config_text,
    declare_args,
    meta_scope,
    needed_stages,
    parse_mount,
    stages,
    used_args,
)
from runtime.build.steprun import RunMount, RunStep, Workspace, commit, run_step, workspace
from runtime.images.documents import (
    MEDIA_CONFIG,
    MEDIA_MANIFEST,
    Descriptor,
    Platform,
    canonical_json,
    host_platform,
    oci_manifest,
    parse_platform,
)
from runtime.images.reference import InvalidReference, parse_reference
from runtime.images.store import ImageStore, Layer
from runtime.oci.runtime import Runtime
from runtime.ocispec.users import resolve_in_root

Puller = Callable[[str, Platform | None], Awaitable[None]]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _auto_args(platform: Platform) -> dict[str, str]:
    host = host_platform()
    values = {}
    for prefix, p in (("TARGET", platform), ("BUILD", host)):
        values[f"{prefix}PLATFORM"] = str(p)
        values[f"{prefix}OS"] = p.os
        values[f"{prefix}ARCH"] = p.architecture
        values[f"{prefix}VARIANT"] = p.variant
    return values


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

    # reading the Dockerfile

    def _read(self) -> Dockerfile:
        request = self.request
        if request.dockerfile_inline is not None:
            return parse(request.dockerfile_inline, "dockerfile_inline")
        path = Path(request.dockerfile)
        if not path.is_absolute():
            path = request.context / path
        try:
            text = path.read_text()
        except (FileNotFoundError, NotADirectoryError):
            raise BuildError(f"service {request.label}: Dockerfile {path} not found") from None
        except OSError as exc:
            raise BuildError(f"service {request.label}: cannot read {path}: "
                             f"{exc.strerror}") from None
        try:
            return parse(text, str(path))
        except BuildError as exc:
            raise BuildError(f"service {request.label}: {exc}") from None

    def _platform(self) -> Platform:
        host = host_platform()
        for text in self.request.platforms:
            try:
                wanted = parse_platform(text)
            except ImageError as exc:
                raise BuildError(f"service {self.request.label}: {exc}") from None
            if wanted != host:
                raise BuildError(f"service {self.request.label}: platform {wanted} cannot be "
                                 f"built on this {host} host (only the host's platform is)")
        return host

    async def run(self) -> BuildResult:
        request = self.request
        if not request.context.is_dir():
            raise BuildError(f"service {request.label}: build context {request.context} "
                             "is not a directory")
        dockerfile = self._read()
        self.escape = dockerfile.escape
        self.platform = self._platform()
        parsed = stages(dockerfile)
        build_args = dict(request.args)
        meta = meta_scope(parsed.meta_args, build_args, _auto_args(self.platform))
        self.consumed |= {k for i in parsed.meta_args for k, _ in _arg_names(i)}
        chosen = needed_stages(parsed, request.target, meta)
        self.total = sum(1 + len(s.instructions) for s in chosen)
        self.ignore = parse_ignore(buildcontext.read_ignore(
            request.context, None if request.dockerfile_inline is not None
            else request.context / request.dockerfile))
        state: StageState | None = None
        for stage in chosen:
            state = await self._stage(stage, parsed.find, meta, build_args)
            self.results[stage.index] = state
        assert state is not None
        unused = sorted(set(build_args) - self.consumed - PROXY_ARGS)
        if unused:
            self._event(0, f"[Warning] One or more build-args {unused} were not consumed",
                        "output")
        return await trio.to_thread.run_sync(self._write_image, state)

    # progress

    def _event(self, step: int, text: str, status: str, elapsed: float = 0.0,
               exit_code: int | None = None) -> None:
        self.b.report(BuildEvent(self.request.label, step, self.total, text, status,
                                 elapsed, exit_code))

    # stages

    async def _stage(self, stage: Stage, find: Callable[[str], Stage | None],
                     meta: Mapping[str, str], build_args: Mapping[str, str]) -> StageState:
        self.step += 1
        base_text = expand_word(stage.base, meta, self.escape)
        text = f"FROM {base_text}" + (f" AS {stage.name}" if stage.name else "")
        self._event(self.step, text, "running")
        started = time.monotonic()
        platform_flag = stage.from_instruction.flag("platform")
        if platform_flag:
            wanted = parse_platform(expand_word(platform_flag, meta, self.escape))
            if wanted != self.platform:
                raise BuildError(f"service {self.request.label}: FROM --platform={wanted}: "
                                 f"only the host's platform {self.platform} can be built")
        other = find(base_text)
        if other is not None and other.index in self.results:
            state = self.results[other.index].copy()
            state.args = {}
            state.chain("stage", str(other.index))
        elif base_text == "scratch":
            state = StageState({"architecture": self.platform.architecture,
                                "os": self.platform.os, "config": {},
                                "rootfs": {"type": "layers", "diff_ids": []}, "history": []},
                               [], key="")
            state.chain("scratch", str(self.platform))
        else:
            state = await self._base_image(base_text)
        state.escape = self.escape
        self._event(self.step, text, "done", time.monotonic() - started)
        triggers = list(state.config.get("OnBuild") or [])
        if triggers:
            state.config["OnBuild"] = None
        for trigger in triggers:
            instruction = instruction_from_text(trigger, stage.from_instruction.line)
            await self._instruction(state, instruction, find, meta, build_args, counted=False)
        for instruction in stage.instructions:
            self.step += 1
            await self._instruction(state, instruction, find, meta, build_args)
        return state

    async def _base_image(self, name: str) -> StageState:
        request = self.request
        try:
            reference = parse_reference(name)
        except InvalidReference as exc:
            raise BuildError(f"service {request.label}: FROM {name}: {exc}") from None
        entry = await trio.to_thread.run_sync(self.b.store.find, name)
        if entry is None or request.pull:
            if self.b.pull is None:
                if entry is None:
                    raise BuildError(f"service {request.label}: base image "
                                     f"{reference.familiar} is not in the local store")
            else:
                try:
                    await self.b.pull(name, self.platform)
                except ImageError as exc:
                    if entry is None:
                        raise BuildError(f"service {request.label}: base image "
                                         f"{reference.familiar}: {exc}") from None
                    self._event(self.step, f"[Warning] cannot pull {reference.familiar} "
                                f"({exc}): using the image in the store", "output")
            entry = await trio.to_thread.run_sync(self.b.store.find, name)
            if entry is None:
                raise BuildError(f"service {request.label}: base image {reference.familiar} "
                                 "is not in the local store")
        image = await trio.to_thread.run_sync(self.b.store.image, entry)
        document = json.loads(json.dumps(image.config))
        document.setdefault("config", {})
        document.setdefault("history", [])
        state = StageState(document, [(layer.descriptor.as_json(), layer.diff_id)
                                      for layer in image.layers])
        state.chain("image", image.manifest_digest)
        return state

    # instructions

    async def _instruction(self, state: StageState, instruction: Instruction,
                           find: Callable[[str], Stage | None], meta: Mapping[str, str],
                           build_args: Mapping[str, str], counted: bool = True) -> None:
        keyword = instruction.keyword
        text = config_text(instruction)
        if keyword == "ARG":
            declare_args(state, instruction, build_args, meta, self.consumed)
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
            state.add_history(text, empty=True, created=self._created(state))
            if counted:
                self._event(self.step, text, "done")
            return
        for name in _proxy_and_declared(state, build_args):
            self.consumed.add(name)
        self._event(self.step, text, "running")
        started = time.monotonic()
        try:
            if keyword == "RUN":
                await self._run(state, instruction, text, find)
            else:
                await self._copy(state, instruction, text, find)
        except BuildError as exc:
            self._event(self.step, f"{text}: {exc}", "error", time.monotonic() - started)
            raise
        if not self.was_cached:
            self._event(self.step, text, "done", time.monotonic() - started)
        self.was_cached = False

    def _created(self, state: StageState) -> str:
        history = state.image.get("history") or []
        if history:
            return str(history[-1].get("created", ""))
        # a config-only stage on scratch: a fixed time keeps rebuilds identical
        return str(state.image.get("created", "")) or "1970-01-01T00:00:00Z"

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

    def _layers(self, state: StageState) -> list[Layer]:
        return [Layer(Descriptor(d["mediaType"], d["digest"], d["size"]), diff_id)
                for d, diff_id in state.layers]

    async def _fs_step(self, state: StageState, text: str,
                       action: Callable[[Workspace], Awaitable[None]]) -> None:
        """Do ``action`` in an overlay of the stage, keep its change as a layer."""
        layers = self._layers(state)
        b = self.b
        ctx = await trio.to_thread.run_sync(workspace, b.layout, b.store, layers)
        space = await trio.to_thread.run_sync(ctx.__enter__)
        try:
            await action(space)
            committed = await trio.to_thread.run_sync(commit, b.layout, b.store, space)
        except BaseException as exc:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(ctx.__exit__, type(exc), exc, exc.__traceback__)
            raise
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(ctx.__exit__, None, None, None)
        created = _now()
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

    async def _run(self, state: StageState, instruction: Instruction, text: str,
                   find: Callable[[str], Stage | None]) -> None:
        request = self.request
        exec_form = instruction.exec_form
        scripts: tuple[tuple[str, str], ...] = ()
        if exec_form is not None:
            args = exec_form
        elif len(instruction.heredocs) == 1 and _only_heredoc(instruction.rest):
            heredoc = instruction.heredocs[0]
            if heredoc.content.startswith("#!"):
                scripts = ((f"/dev/pipes/{heredoc.name}", heredoc.content),)
                args = [f"/dev/pipes/{heredoc.name}"]
            else:
                args = [*state.shell(), heredoc.content]
        elif instruction.heredocs:
            script = instruction.rest + "\n" + "".join(
                f"{h.content}{h.name}\n" for h in instruction.heredocs)
            args = [*state.shell(), script]
        else:
            args = [*state.shell(), instruction.rest]
        network = (instruction.flag("network") or request.network or "default").lower()
        if network not in ("none", "host", "default"):
            raise BuildError(f"RUN --network={network}: only none, host and default")
        mounts, mount_keys = await self._mounts(state, instruction, find)
        step = RunStep(tuple(args), tuple(state.run_env()), state.workdir(),
                       str(state.config.get("User") or ""), network, request.extra_hosts,
                       request.shm_size, tuple(mounts), scripts)
        keyed_env = [e for e in step.env if e.partition("=")[0] not in PROXY_ARGS]
        state.chain("run", json.dumps([step.args, keyed_env, step.cwd, step.user,
                                       step.network, mount_keys, step.scripts]))
        if await self._cached(state, text):
            return
        output: list[str] = []

        def line(value: str) -> None:
            output.append(value)
            self._event(self.step, value, "output")

        async def action(space: Workspace) -> None:
            async with self._stage_mounts(step) as resolved:
                code = await run_step(self.b.layout, self.b.runtime, space, resolved, line)
            if code != 0:
                raise BuildError(f"service {request.label}: process \"{' '.join(args)}\" "
                                 f"did not complete successfully: exit code: {code}")

        await self._fs_step(state, text, action)

    @asynccontextmanager
    async def _stage_mounts(self, step: RunStep) -> AsyncIterator[RunStep]:
        """The step with its ``from=`` mounts bound from overlays of their stages,
        unmounted afterwards."""
        b = self.b
        contexts = []
        mounts = []
        try:
            for mount in step.mounts:
                if mount.kind != "stage":
                    mounts.append(mount)
                    continue
                ctx = await trio.to_thread.run_sync(workspace, b.layout, b.store,
                                                    list(mount.layers))
                space = await trio.to_thread.run_sync(ctx.__enter__)
                contexts.append(ctx)
                source = resolve_in_root(str(space.rootfs), mount.source)
                mounts.append(RunMount(mount.target, "bind", source, mount.readonly))
            yield dataclasses.replace(step, mounts=tuple(mounts))
        finally:
            with trio.CancelScope(shield=True):
                for ctx in reversed(contexts):
                    await trio.to_thread.run_sync(ctx.__exit__, None, None, None)

    async def _mounts(self, state: StageState, instruction: Instruction,
                      find: Callable[[str], Stage | None]) -> tuple[list[RunMount], list[str]]:
        mounts: list[RunMount] = []
        keys: list[str] = []
        for raw in instruction.flag_all("mount"):
            options = parse_mount(raw, instruction.line)
            kind = options["type"]
            target = options.get("target", "")
            if target and not target.startswith("/"):
                target = posixpath.join(state.workdir(), target)
            if kind == "cache":
                ident = options.get("id") or target
                directory = self.b.layout.root / "buildcache-mounts" / \
                    __import__("hashlib").sha256(ident.encode()).hexdigest()[:32]
                directory.mkdir(parents=True, exist_ok=True)
                mounts.append(RunMount(target, "bind", str(directory)))
                keys.append(f"cache:{target}:{ident}")
            elif kind == "tmpfs":
                mounts.append(RunMount(target, "tmpfs"))
                keys.append(f"tmpfs:{target}")
            elif kind == "secret":
                ident = options.get("id") or posixpath.basename(target)
                source = self.request.secrets.get(ident)
                if source is None:
                    if options.get("required") == "true":
                        raise BuildError(f"secret {ident!r} is not defined for this build "
                                         "(build.secrets)")
                    continue
                mounts.append(RunMount(target or f"/run/secrets/{ident}", "bind", source,
                                       readonly=True))
                keys.append(f"secret:{ident}:{target}")  # contents stay out of the key
            elif options.get("from"):  # bind from another stage's (or image's) root
                name = expand_word(options["from"], state.expansion_env(), self.escape)
                other = find(name)
                if other is not None and other.index in self.results:
                    from_state = self.results[other.index]
                else:
                    from_state = await self._base_image(name)
                source_rel = options.get("source", "/")
                mounts.append(RunMount(target, "stage", source_rel,
                                       readonly=options.get("rw") != "true"
                                       and options.get("readwrite") != "true",
                                       layers=tuple(self._layers(from_state))))
                keys.append(f"bind-from:{target}:{from_state.key}:{source_rel}")
            else:  # bind: from the context
                source_rel = options.get("source", "")
                source = resolve_in_root(str(self.request.context), source_rel)
                plan = buildcontext.CopyPlan("/", (buildcontext.Entry(source, ""),))
                digest = await trio.to_thread.run_sync(
                    tree_key, source, self.ignore, str(self.request.context))
                mounts.append(RunMount(target, "bind", source,
                                       readonly=options.get("rw") != "true"
                                       and options.get("readwrite") != "true"))
                keys.append(f"bind:{target}:{digest}:{plan.dest_dir}")
        return mounts, keys

    # COPY / ADD

    async def _copy(self, state: StageState, instruction: Instruction, text: str,
                    find: Callable[[str], Stage | None]) -> None:
        keyword = instruction.keyword
        env = state.expansion_env()
        exec_form = instruction.exec_form
        if exec_form is not None:
            words = [expand_word(w, env, self.escape) for w in exec_form]
        else:
            words = expand_words(instruction.rest, env, self.escape)
        if len(words) < 2 and not instruction.heredocs:
            raise BuildError(f"line {instruction.line}: {keyword} requires at least two "
                             "arguments")
        *sources, dest = words
        chown = expand_word(instruction.flag("chown") or "", env, self.escape)
        chmod_text = instruction.flag("chmod") or ""
        mode = buildcontext.parse_chmod(chmod_text)
        source_from = instruction.flag("from")
        what = f"line {instruction.line}: {keyword}"
        root = str(self.request.context)
        ignore = self.ignore
        from_key = ""
        from_layers: list[Layer] | None = None
        if source_from:
            source_from = expand_word(source_from, env, self.escape)
            other = find(source_from)
            if other is not None and other.index in self.results:
                from_state = self.results[other.index]
            else:
                from_state = await self._base_image(source_from)
            from_layers = self._layers(from_state)
            from_key = from_state.key
            ignore = []
        heredoc_names = {h.name: h for h in instruction.heredocs}

        def heredoc_of(word: str) -> Heredoc | None:
            if not word.startswith("<<"):
                return None
            return heredoc_names.get(word[2:].lstrip("-").strip("\"'"))

        heredocs = [h for h in (heredoc_of(s) for s in sources) if h is not None]
        sources = [s for s in sources if heredoc_of(s) is None]
        if keyword == "COPY" and any(_is_url(s) for s in sources):
            raise BuildError(f"{what}: source can't be a URL for COPY (use ADD)")
        remote = [s for s in sources if s.startswith(("http://", "https://", "git@"))]
        if remote:
            raise BuildError(f"{what}: {remote[0]}: remote sources need network access, "
                             f"which builds here do not have (network: "
                             f"{self.request.network})")
        files = [(h.name, expand_heredoc(h.content, env) if h.expand else h.content)
                 for h in heredocs]
        state.chain(keyword, json.dumps([sources, dest, chown, chmod_text, files,
                                         instruction.flag("link") or ""]), from_key)
        workdir = state.workdir()
        into_dir = dest.endswith("/") or len(sources) + len(files) > 1

        def plan_files(root_dir: str, heredoc_dir: str) -> buildcontext.CopyPlan:
            plan = (buildcontext.plan_copy(root_dir, sources, dest, workdir, ignore, what)
                    if sources else None)
            target = posixpath.normpath(dest if dest.startswith("/")
                                        else posixpath.join(workdir, dest))
            if plan is None:
                plan = buildcontext.CopyPlan(target if into_dir else
                                             posixpath.dirname(target) or "/", ())
            extra = tuple(buildcontext.Entry(os.path.join(heredoc_dir, name),
                                             name if into_dir else posixpath.basename(target))
                          for name, _ in files if heredoc_dir)  # (keyed by their text)
            return buildcontext.CopyPlan(plan.dest_dir, plan.entries + extra)

        if from_layers is None:
            plan = await trio.to_thread.run_sync(plan_files, root, "")
            content = await trio.to_thread.run_sync(buildcontext.content_key, plan, chown,
                                                    chmod_text)
            state.chain("content", content)
            if await self._cached(state, text):
                return

            async def from_context(space: Workspace) -> None:
                heredoc_dir = space.path / "heredocs"
                heredoc_dir.mkdir()
                for name, body in files:
                    (heredoc_dir / name).write_text(body)
                    os.chmod(heredoc_dir / name, 0o644)
                final = await trio.to_thread.run_sync(plan_files, root, str(heredoc_dir))
                await self._write_files(space, keyword, final, dest, chown, mode)

            await self._fs_step(state, text, from_context)
            return
        if await self._cached(state, text):
            return
        b = self.b

        async def from_stage(space: Workspace) -> None:
            source_ctx = await trio.to_thread.run_sync(workspace, b.layout, b.store,
                                                       from_layers)
            source_space = await trio.to_thread.run_sync(source_ctx.__enter__)
            try:
                plan = await trio.to_thread.run_sync(plan_files, str(source_space.rootfs), "")
                await self._write_files(space, keyword, plan, dest, chown, mode,
                                        extract=False)
            finally:
                with trio.CancelScope(shield=True):
                    await trio.to_thread.run_sync(source_ctx.__exit__, None, None, None)

        await self._fs_step(state, text, from_stage)

    async def _write_files(self, space: Workspace, keyword: str,
                           plan: buildcontext.CopyPlan, dest: str, chown: str,
                           mode: int | None, *, extract: bool = True) -> None:
        await trio.to_thread.run_sync(partial(write_files, str(space.rootfs), keyword, plan,
                                              dest, chown, mode, extract=extract))

    # the image

    def _write_image(self, state: StageState) -> BuildResult:
        request = self.request
        store = self.b.store
        image = json.loads(json.dumps(state.image))
        if request.labels:
            config = image.setdefault("config", {})
            config["Labels"] = {**(config.get("Labels") or {}), **request.labels}
        history = image.get("history") or []
        image["created"] = history[-1]["created"] if history else self._created(state)
        image["rootfs"] = {"type": "layers", "diff_ids": [d for _, d in state.layers]}
        image["architecture"], image["os"] = self.platform.architecture, self.platform.os
        if self.platform.variant:
            image["variant"] = self.platform.variant
        config_desc = store.put_blob(canonical_json(image), MEDIA_CONFIG)
        layers = [Descriptor(d["mediaType"], d["digest"], d["size"]) for d, _ in state.layers]
        manifest = store.put_blob(oci_manifest(config_desc, layers), MEDIA_MANIFEST)
        for tag in request.tags:
            try:
                store.tag(parse_reference(tag), manifest)
            except InvalidReference as exc:
                raise BuildError(f"service {request.label}: tag {tag!r}: {exc}") from None
        if not request.tags:
            store.add_dangling(manifest)
        return BuildResult(config_desc.digest, manifest.digest, request.tags, self.cached,
                           self.total)


def _only_heredoc(rest: str) -> bool:
    """``RUN <<EOF``: the here-document is the whole script."""
    words = rest.split()
    return len(words) == 1 and words[0].startswith("<<")


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _arg_names(instruction: Instruction) -> list[tuple[str, str | None]]:
    from runtime.build.stages import arg_declarations

    return arg_declarations(instruction)


def _proxy_and_declared(state: StageState, build_args: Mapping[str, str]) -> list[str]:
    """Proxy build args reach every RUN without an ARG line (and count as used)."""
    names = [k for k in build_args if k in PROXY_ARGS]
    for name in names:
        state.args.setdefault(name, build_args[name])
    return names
