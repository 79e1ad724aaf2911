"""``publish``: read the project's Compose files (and the local files they extend,
and with ``--with-env`` their env files), make the artifact
(``planning/publish.py`` decides every byte) and push it through one registry
session, as docker compose v2.40 publishes."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass

import trio

from common.errors import ImageError, PycomposeError
from compose.engine.backends import ImageTransfers
from compose.engine.context import Context
from compose.engine.events import Progress
from compose.engine.pushing import push_images
from compose.planning import publish as plan
from compose.spec.model import Project


@dataclass(frozen=True)
class PublishOptions:
    oci_version: str | None = None  # None: 1.1, or 1.0 if the registry refuses 1.1
    resolve_digests: bool = False
    with_env: bool = False
    version: str = ""  # com.docker.compose.version


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise PycomposeError(f"{path}: {exc.strerror or exc}") from None


def compose_layers(project: Project, options: PublishOptions) -> list[plan.Blob]:
    """A layer per Compose file, then one per local file they extend (recursively),
    then the env files they name when ``with_env`` (synchronous: file reads)."""
    layers: list[plan.Blob] = []
    extends: dict[str, str] = {}
    env_files: dict[str, str] = {}
    for path in project.config_files:
        done = plan.rewrite(_read(path), project.working_dir, os.path.exists)
        layers.append(plan.compose_layer(path, done.text.encode(), options.version))
        extends.update(done.extends)
        env_files.update(done.env_files)
    seen: set[str] = set()
    while pending := [p for p in extends if p not in seen]:
        for path in pending:
            seen.add(path)
            done = plan.rewrite(_read(path), project.working_dir, os.path.exists)
            layers.append(plan.compose_layer(extends[path], done.text.encode(),
                                             options.version, extends=True))
            extends.update({k: v for k, v in done.extends.items() if k not in extends})
    if options.with_env:
        for path, name in env_files.items():
            try:
                with open(path, "rb") as handle:
                    layers.append(plan.env_layer(name, handle.read(), options.version))
            except OSError:
                continue  # as docker compose: an unreadable env file is left out
    return layers


async def publish(ctx: Context, project: Project, repository: str,
                  options: PublishOptions) -> None:
    """Push the images the project builds (failures only warned about), then the
    artifact under ``repository``."""
    built = [(name, s.image) for name, s in project.services.items()
             if s.canonical.get("build") and s.canonical.get("image")]
    if built:
        await push_images(ctx, built, quiet=True, ignore_failures=True)
    layers = await trio.to_thread.run_sync(compose_layers, project, options)
    with ctx.output.transfers("Publishing", True) as report:
        async with ctx.images.transfers(report) as session:
            if options.resolve_digests:
                layers.append(await _digests_layer(session, project, options.version))
            await _push(session, repository, layers, options.oci_version)
    ctx.output.progress(Progress("Artifact", repository, "Published", done=True))


async def _digests_layer(session: ImageTransfers, project: Project, version: str) -> plan.Blob:
    pinned = {name: await session.pin(service.image)
              for name, service in project.services.items() if service.canonical.get("image")}
    return plan.compose_layer("image-digests.yaml", plan.digests_override(pinned), version)


async def _push(session: ImageTransfers, repository: str, layers: Sequence[plan.Blob],
                oci_version: str | None) -> None:
    now = datetime.datetime.now().astimezone().replace(microsecond=0)
    created = now.isoformat().replace("+00:00", "Z")  # Go's RFC3339
    try:
        await _push_version(session, repository, layers, oci_version or "1.1", created)
    except ImageError as exc:
        # docker compose falls back to OCI 1.0 when a registry refuses 1.1 with a
        # client error other than an authentication one
        status = getattr(exc, "status", 0)
        if oci_version or not 400 <= status < 500 or status in (401, 403, 407):
            raise
        await _push_version(session, repository, layers, "1.0", created)


async def _push_version(session: ImageTransfers, repository: str, layers: Sequence[plan.Blob],
                        oci_version: str, created: str) -> None:
    artifact = plan.artifact(layers, oci_version, created)
    await session.push_document(repository, [artifact.config.data, *(b.data for b in layers)],
                                artifact.manifest, plan.MANIFEST_MEDIA_TYPE)
