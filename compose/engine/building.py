"""Building a project's images (``build``, ``up --build``, ``pull_policy: build``):
the services' ``build:`` sections as ``BuildRequest``s (pure), and the thin trio
layer that has the image backend build them, its progress drawn through
``ctx.output``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.errors import BuildError
from common.images import BuildRequest, BuildResult
from compose.engine.context import Context
from compose.spec.model import Project, Service


@dataclass(frozen=True)
class BuildOptions:
    no_cache: bool = False
    pull: bool = False
    args: Mapping[str, str] = field(default_factory=dict)
    """``--build-arg``: replaces the file's ``args`` of the same name."""
    quiet: bool = False


def buildable(project: Project) -> list[str]:
    return [name for name, s in project.services.items() if s.canonical.get("build")]


def _extra_hosts(values: Sequence[str]) -> tuple[tuple[str, str], ...]:
    hosts = []
    for entry in values:
        name, sep, address = str(entry).partition("=")
        if not sep:
            name, _, address = str(entry).partition(":")
        hosts.append((name, address))
    return tuple(hosts)


def build_request(project: Project, service: Service, options: BuildOptions) -> BuildRequest:
    """What building ``service`` means (pure): tags are the service's image name
    (``<project>-<service>`` unless ``image:`` names it) and ``build.tags``."""
    build: Mapping[str, Any] = service.canonical.get("build") or {}
    where = f"service {service.name}"
    context = str(build.get("context") or project.working_dir)
    if "://" in context or context.startswith("git@"):
        raise BuildError(f"{where}: build.context {context}: remote contexts are not "
                         "supported (no network access for builds)")
    args = {str(k): str(v) for k, v in (build.get("args") or {}).items() if v is not None}
    args.update(options.args)
    secrets: dict[str, str] = {}
    for entry in build.get("secrets") or []:
        source = str(entry.get("source") if isinstance(entry, Mapping) else entry)
        target = entry.get("target") if isinstance(entry, Mapping) else None
        if source not in project.secret_files:
            raise BuildError(f"{where}: build.secrets: secret {source!r} is not defined "
                             "with a file in the top-level secrets")
        secrets[str(target or source)] = project.secret_files[source]
    shm = build.get("shm_size")
    network = str(build.get("network") or "default")
    if network not in ("none", "host", "default"):
        raise BuildError(f"{where}: build.network {network!r}: only none, host and default "
                         "can be used for builds")
    tags = (service.image, *[str(t) for t in build.get("tags") or []])
    return BuildRequest(
        label=service.name,
        context=Path(context),
        dockerfile=str(build.get("dockerfile") or "Dockerfile"),
        dockerfile_inline=build.get("dockerfile_inline"),
        args=args,
        target=build.get("target") or None,
        labels={str(k): str(v) for k, v in (build.get("labels") or {}).items()},
        tags=tuple(dict.fromkeys(tags)),
        no_cache=options.no_cache or bool(build.get("no_cache")),
        pull=options.pull or bool(build.get("pull")),
        network=network,
        extra_hosts=_extra_hosts(build.get("extra_hosts") or []),
        shm_size=int(shm) if shm else None,
        secrets=secrets,
        platforms=tuple(str(p) for p in build.get("platforms") or []),
    )


def to_build(project: Project, present: Mapping[str, bool], *, build: bool | None) -> list[str]:
    """The services ``up`` builds first (pure): all buildable ones with ``--build``
    or ``pull_policy: build``, else those whose image is not in the store; none
    with ``--no-build``.  ``present`` says, per service, whether its image is there."""
    if build is False:
        return []
    chosen = []
    for name in buildable(project):
        service = project.services[name]
        policy = service.canonical.get("pull_policy")
        if build or policy == "build" or not present.get(name, False):
            chosen.append(name)
    return chosen


async def build_services(ctx: Context, project: Project, names: Sequence[str],
                         options: BuildOptions) -> dict[str, BuildResult]:
    """Build the named services one after the other; services sharing an image
    name are built once."""
    requests = [build_request(project, project.services[n], options) for n in names]
    results: dict[str, BuildResult] = {}

    async def pull(name: str, platform: str | None) -> None:
        with ctx.output.transfers("Pulling", options.quiet) as report:
            async with ctx.images.transfers(report) as session:
                await session.pull(name, platform, name)

    with ctx.output.builds(options.quiet) as sink:
        built: dict[tuple[str, ...], BuildResult] = {}
        for request in requests:
            if request.tags in built:
                results[request.label] = built[request.tags]
                continue
            sink.start(request.label)
            result = await ctx.images.build(request, sink.report, pull)
            sink.finish(request.label, result)
            built[request.tags] = results[request.label] = result
    return results


async def ensure_built(ctx: Context, project: Project, build: bool | None) -> None:
    """``up``: build what ``to_build`` chooses, before anything is pulled or created."""
    names = buildable(project)
    if not names or build is False:
        return

    present = {n: await ctx.images.find(project.services[n].image) is not None for n in names}
    chosen = to_build(project, present, build=build)
    if chosen:
        await build_services(ctx, project, chosen, BuildOptions())
