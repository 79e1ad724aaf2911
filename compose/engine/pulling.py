"""Pulling images (``pull``, ``image pull``, and ``up`` per ``pull_policy``): the
thin trio layer over ``pullpolicy.plan_pulls`` and the image backend's registry
sessions, its progress drawn through ``ctx.output``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import partial

import trio

from common.concurrency import parallel_limit, run_all
from common.errors import ImageError
from common.images import PulledImage
from common.progress import Transfer, TransferReporter
from compose.engine.backends import ImageTransfers
from compose.engine.context import Context
from compose.planning.pullpolicy import PullRequest, plan_pulls
from compose.spec.model import Project


async def pull_image(ctx: Context, name: str, platform: str | None,
                     quiet: bool) -> PulledImage:
    """``image pull``: one image, its progress drawn."""
    with ctx.output.transfers("Pulling", quiet) as report:
        async with ctx.images.transfers(report) as session:
            return await session.pull(name, platform)


async def pull_services(ctx: Context, project: Project, environ: Mapping[str, str], *,
                        policy: str | None = None, default: str = "missing",
                        quiet: bool = False, ignore_failures: bool = False,
                        ) -> list[PullRequest]:
    """Pull what the services' policies (or ``policy``) ask for; returns the pulls.
    (``environ`` is the context's: the registries' settings and credentials.)"""
    services = project.services
    local: dict[str, tuple[bool, float | None]] = {}
    for name, service in services.items():
        if service.image in local:  # services sharing an image: looked up once
            continue
        try:
            entry = await ctx.images.find(service.image)
        except ImageError as exc:
            raise ImageError(f"service {name}: {exc}") from None
        local[service.image] = (entry is not None, entry.tagged if entry else None)
    requests = plan_pulls({n: s.canonical for n, s in services.items()},
                          {n: s.image for n, s in services.items()}, local,
                          time.time(), policy, default)
    if not requests:
        return []
    failures: list[str] = []
    with ctx.output.transfers("Pulling", quiet) as report:
        async with ctx.images.transfers(report) as session:
            await run_all([partial(_pull, session, report, request, local, failures,
                                   ignore_failures) for request in requests],
                          limiter=trio.CapacityLimiter(parallel_limit()))
    for failure in failures:
        ctx.output.warn(failure)
    return requests


async def _pull(session: ImageTransfers, report: TransferReporter, request: PullRequest,
                local: Mapping[str, tuple[bool, float | None]], failures: list[str],
                ignore_failures: bool) -> None:
    label = request.services[0]
    for other in request.services[1:]:
        report(Transfer(other, f"Skipped - Image is already being pulled by {label}",
                        done=True))
    try:
        await session.pull(request.image, request.platform or None, label)
    except ImageError as exc:
        if local[request.image][0]:
            message = f"service {label}: pulling {request.image}: {exc}"
        else:
            message = (f"service {label}: image {request.image} is not in the local store "
                       f"and pulling it failed: {exc}")
        if not ignore_failures:
            raise ImageError(message) from None
        failures.append(message)
