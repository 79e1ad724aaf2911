"""A Dockerfile as stages, and the image config each instruction makes (pure).

``stages`` splits the instructions at each ``FROM`` (meta ``ARG``s before the first
one are usable in ``FROM`` lines only), ``needed_stages`` keeps the stages the
target needs (``FROM <stage>``, ``COPY --from``, ``RUN --mount=from=``).
``StageState`` is what a stage has made so far; ``apply_config`` applies the
instructions that only change the image config (``ENV``, ``LABEL``, ``CMD``...), with
Docker's rules for ``ARG`` scope and expansion.
"""

from __future__ import annotations

import copy
import hashlib
import json
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from common.durations import parse_duration
from common.errors import BuildError
from runtime.build.dockerfile import Dockerfile, Instruction, json_list
from runtime.build.shellexpand import expand_word, expand_words, key_values, split_keeping_quotes

PROXY_ARGS = frozenset({
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
})
"""Predefined: usable without an ``ARG`` line, kept out of the cache key and history."""
DEFAULT_SHELL = ("/bin/sh", "-c")
FS_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


@dataclass(frozen=True)
class Stage:
    index: int
    name: str | None
    base: str
    """The FROM argument as written (expanded with meta args later)."""
    from_instruction: Instruction
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class Stages:
    meta_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]

    def find(self, name: str) -> Stage | None:
        """A stage by name (case-insensitive) or index."""
        lowered = name.lower()
        for stage in self.stages:
            if stage.name == lowered:
                return stage
        if name.isdigit() and int(name) < len(self.stages):
            return self.stages[int(name)]
        return None


def stages(dockerfile: Dockerfile) -> Stages:
    meta: list[Instruction] = []
    found: list[Stage] = []
    current: Instruction | None = None
    body: list[Instruction] = []

    def close() -> None:
        if current is None:
            return
        words = current.rest.split()
        name = None
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
        elif len(words) != 1:
            raise BuildError(f"line {current.line}: FROM takes an image and optionally "
                             f"AS name: {current.rest!r}")
        found.append(Stage(len(found), name, words[0], current, tuple(body)))

    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            close()
            current, body = instruction, []
        elif current is None:
            if instruction.keyword != "ARG":
                raise BuildError(f"line {instruction.line}: {instruction.keyword} before the "
                                 "first FROM (only ARG may come first)")
            meta.append(instruction)
        else:
            body.append(instruction)
    close()
    if not found:
        raise BuildError("the Dockerfile has no FROM instruction")
    names = [s.name for s in found if s.name]
    for name in names:
        if names.count(name) > 1:
            raise BuildError(f"duplicate stage name {name!r}")
    return Stages(tuple(meta), tuple(found))


def arg_declarations(instruction: Instruction) -> list[tuple[str, str | None]]:
    """``ARG a b=c``: names and unexpanded defaults."""
    result: list[tuple[str, str | None]] = []
    for word in split_keeping_quotes(instruction.rest):
        key, sep, value = word.partition("=")
        if not key:
            raise BuildError(f"line {instruction.line}: ARG requires a name")
        result.append((key, value if sep else None))
    if not result:
        raise BuildError(f"line {instruction.line}: ARG requires at least one argument")
    return result


def meta_scope(meta: Sequence[Instruction], build_args: Mapping[str, str],
               auto: Mapping[str, str]) -> dict[str, str]:
    """The values of the global ARGs (before the first FROM)."""
    scope: dict[str, str] = dict(auto)
    for instruction in meta:
        for key, default in arg_declarations(instruction):
            if key in build_args:
                scope[key] = build_args[key]
            elif default is not None:
                scope[key] = expand_word(default, scope)
            elif key not in auto:
                scope.pop(key, "")
    return scope


def stage_references(stage: Stage) -> list[str]:
    """Names of other stages (or images) this stage reads from."""
    refs = []
    for instruction in stage.instructions:
        source = instruction.flag("from")
        if instruction.keyword in ("COPY", "ADD") and source:
            refs.append(source)
        if instruction.keyword == "RUN":
            for mount in instruction.flag_all("mount"):
                options = parse_mount(mount, instruction.line)
                if options.get("from"):
                    refs.append(options["from"])
    return refs


def needed_stages(parsed: Stages, target: str | None, meta: Mapping[str, str]) -> list[Stage]:
    """The stages the target stage (the last one by default) needs, each after the
    stages it reads from, otherwise in file order."""
    if target:
        chosen = next((s for s in parsed.stages if s.name == target.lower()), None)
        if chosen is None:
            raise BuildError(f"target stage {target!r} could not be found")
    else:
        chosen = parsed.stages[-1]
    needs: dict[int, set[int]] = {}
    pending = [chosen]
    while pending:
        stage = pending.pop()
        if stage.index in needs:
            continue
        needs[stage.index] = set()
        base = parsed.find(expand_word(stage.base, meta))
        if base is not None and base.index < stage.index:
            needs[stage.index].add(base.index)
            pending.append(base)
        for ref in stage_references(stage):
            other = parsed.find(ref)
            if other is not None:
                if other.index == stage.index:
                    raise BuildError(f"stage {ref!r} refers to itself")
                needs[stage.index].add(other.index)
                pending.append(other)
    order: list[Stage] = []
    done: set[int] = set()
    while len(order) < len(needs):
        ready = [i for i in sorted(needs) if i not in done and needs[i] <= done]
        if not ready:
            raise BuildError("the stages refer to each other in a cycle")
        done.add(ready[0])
        order.append(parsed.stages[ready[0]])
    return order


def parse_mount(text: str, line: int) -> dict[str, str]:
    """``RUN --mount=type=cache,target=/x,from=stage``: its options."""
    options: dict[str, str] = {}
    for part in text.split(","):
        if not part:
            continue
        key, sep, value = part.partition("=")
        options[key.strip().lower()] = value.strip() if sep else "true"
    kind = options.setdefault("type", "bind")
    if kind not in ("bind", "cache", "secret", "tmpfs"):
        raise BuildError(f"line {line}: RUN --mount type {kind!r} is not supported "
                         "(bind, cache, secret, tmpfs)")
    if "dst" in options or "destination" in options:
        options["target"] = options.pop("dst", "") or options.pop("destination", "")
    if kind != "secret" and not options.get("target"):
        raise BuildError(f"line {line}: RUN --mount needs target=")
    return options


@dataclass
class StageState:
    """What a stage has made so far: its image config (the OCI document, with
    ``config``, ``rootfs`` and ``history``), its layers and build-time ARGs."""

    image: dict[str, Any]
    layers: list[tuple[dict[str, Any], str]]
    """Layer descriptors (as JSON) and diff_ids, bottom first."""
    args: dict[str, str] = field(default_factory=dict)
    cmd_set: bool = False
    key: str = ""
    """The cache chain key: the base image and every instruction so far."""
    escape: str = "\\"

    @property
    def config(self) -> dict[str, Any]:
        section = self.image.setdefault("config", {})
        assert isinstance(section, dict)
        return section

    def env(self) -> dict[str, str]:
        return dict(e.partition("=")[::2] for e in self.config.get("Env") or [])

    def expansion_env(self) -> dict[str, str]:
        """What ``$name`` expands to: ARGs in scope, ENV overriding them."""
        return {**self.args, **self.env()}

    def run_env(self) -> list[str]:
        """The environment of a RUN: ENV plus the ARGs in scope that ENV does not set."""
        env = self.env()
        merged = {**{k: v for k, v in self.args.items() if k not in env}, **env}
        if "PATH" not in merged:
            merged["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return [f"{k}={v}" for k, v in merged.items()]

    def shell(self) -> list[str]:
        return list(self.config.get("Shell") or DEFAULT_SHELL)

    def workdir(self) -> str:
        return str(self.config.get("WorkingDir") or "/")

    def chain(self, *parts: str) -> None:
        """Fold an instruction (and what it depends on) into the cache key."""
        digest = hashlib.sha256(self.key.encode())
        for part in parts:
            digest.update(b"\0" + part.encode())
        self.key = digest.hexdigest()

    def add_history(self, created_by: str, *, empty: bool, created: str) -> None:
        entry: dict[str, Any] = {"created": created, "created_by": created_by}
        if empty:
            entry["empty_layer"] = True
        self.image.setdefault("history", []).append(entry)

    def copy(self) -> StageState:
        return StageState(copy.deepcopy(self.image), list(self.layers), dict(self.args),
                          self.cmd_set, self.key, self.escape)


def used_args(state: StageState) -> str:
    """The ARG values a RUN sees, for its cache key (proxy args left out)."""
    return json.dumps(sorted((k, v) for k, v in state.args.items() if k not in PROXY_ARGS))


def declare_args(state: StageState, instruction: Instruction, build_args: Mapping[str, str],
                 meta: Mapping[str, str], consumed: set[str]) -> None:
    """``ARG`` in a stage: the --build-arg value, else the global one (for a name
    declared before FROM too), else the default expanded now."""
    for key, default in arg_declarations(instruction):
        consumed.add(key)
        if key in build_args:
            state.args[key] = build_args[key]
        elif default is not None:
            state.args[key] = expand_word(default, state.expansion_env(), state.escape)
        elif key in meta:
            state.args[key] = meta[key]
        else:
            state.args.pop(key, "")


def _command(instruction: Instruction, state: StageState) -> list[str]:
    exec_form = instruction.exec_form
    if exec_form is not None:
        return exec_form
    return [*state.shell(), instruction.rest]


def apply_config(state: StageState, instruction: Instruction) -> None:
    """Apply an instruction that changes only the image config."""
    keyword = instruction.keyword
    env = state.expansion_env()
    escape = state.escape
    config = state.config
    rest = instruction.rest
    if keyword == "ENV":
        current = list(config.get("Env") or [])
        for key, value in key_values(rest, env, escape, "ENV"):
            current = [e for e in current if e.partition("=")[0] != key] + [f"{key}={value}"]
            env[key] = value  # later pairs see earlier ones only from the next line on
        config["Env"] = current
    elif keyword == "LABEL":
        labels = dict(config.get("Labels") or {})
        labels.update(key_values(rest, env, escape, "LABEL"))
        config["Labels"] = labels
    elif keyword == "MAINTAINER":
        state.image["author"] = rest
    elif keyword == "WORKDIR":
        path = expand_word(rest, env, escape)
        if not path:
            raise BuildError(f"line {instruction.line}: WORKDIR needs a path")
        config["WorkingDir"] = posixpath.normpath(posixpath.join(state.workdir(), path))
    elif keyword == "USER":
        config["User"] = expand_word(rest, env, escape)
    elif keyword == "CMD":
        config["Cmd"] = _command(instruction, state)
        state.cmd_set = True
    elif keyword == "ENTRYPOINT":
        config["Entrypoint"] = _command(instruction, state)
        if not state.cmd_set:
            config["Cmd"] = None
    elif keyword == "EXPOSE":
        ports = dict(config.get("ExposedPorts") or {})
        for word in expand_words(rest, env, escape):
            for port in expose_ports(word, instruction.line):
                ports[port] = {}
        config["ExposedPorts"] = ports
    elif keyword == "VOLUME":
        volumes = dict(config.get("Volumes") or {})
        words = json_list(rest)
        for word in (words if words is not None else expand_words(rest, env, escape)):
            if not word.strip():
                raise BuildError(f"line {instruction.line}: VOLUME specified can not be empty")
            volumes[expand_word(word, env, escape) if words is not None else word] = {}
        config["Volumes"] = volumes
    elif keyword == "STOPSIGNAL":
        config["StopSignal"] = expand_word(rest, env, escape)
    elif keyword == "SHELL":
        shell = instruction.exec_form
        if not shell:
            raise BuildError(f"line {instruction.line}: SHELL requires the arguments to be "
                             "in JSON form")
        config["Shell"] = shell
    elif keyword == "ONBUILD":
        config["OnBuild"] = [*(config.get("OnBuild") or []), rest]
    elif keyword == "HEALTHCHECK":
        config["Healthcheck"] = healthcheck(instruction, state)
    else:
        raise BuildError(f"line {instruction.line}: {keyword} is not a config instruction")


def expose_ports(word: str, line: int) -> list[str]:
    """``80``, ``80/udp``, ``8000-8002/tcp`` as Docker's port keys (ranges expanded)."""
    number, _, protocol = word.partition("/")
    protocol = (protocol or "tcp").lower()
    start, sep, end = number.partition("-")
    try:
        first, last = int(start), int(end) if sep else int(start)
    except ValueError:
        raise BuildError(f"line {line}: invalid port {word!r} in EXPOSE") from None
    if not 0 < first <= last <= 65535 or protocol not in ("tcp", "udp", "sctp"):
        raise BuildError(f"line {line}: invalid port {word!r} in EXPOSE")
    return [f"{port}/{protocol}" for port in range(first, last + 1)]


_DURATIONS = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
              "start-interval": "StartInterval"}


def healthcheck(instruction: Instruction, state: StageState) -> dict[str, Any]:
    rest = instruction.rest.strip()
    keyword, _, command = rest.partition(" ")
    if keyword.upper() == "NONE":
        if command.strip() or instruction.flags:
            raise BuildError(f"line {instruction.line}: HEALTHCHECK NONE takes no arguments")
        return {"Test": ["NONE"]}
    if keyword.upper() != "CMD":
        raise BuildError(f"line {instruction.line}: HEALTHCHECK needs CMD or NONE")
    exec_form = json_list(command)
    test = ["CMD", *exec_form] if exec_form is not None else ["CMD-SHELL", command.strip()]
    check: dict[str, Any] = {"Test": test}
    for flag, value in instruction.flags:
        if flag in _DURATIONS:
            try:
                check[_DURATIONS[flag]] = int(parse_duration(value or "") * 1e9)
            except ValueError as exc:
                raise BuildError(f"line {instruction.line}: --{flag}: {exc}") from None
        elif flag == "retries":
            try:
                check["Retries"] = int(value or "")
            except ValueError:
                raise BuildError(f"line {instruction.line}: --retries must be a number") \
                    from None
        else:
            raise BuildError(f"line {instruction.line}: unknown flag --{flag} for HEALTHCHECK")
    return check


def config_text(instruction: Instruction) -> str:
    """The instruction as it enters the cache key and history."""
    flags = " ".join(f"--{k}={v}" if v is not None else f"--{k}" for k, v in instruction.flags)
    heredocs = "".join(f"\n{h.name}:{h.content}" for h in instruction.heredocs)
    return f"{instruction.keyword} {flags + ' ' if flags else ''}{instruction.rest}{heredocs}"
