"""Pulling a project's images (``pull``, and ``up`` per ``pull_policy``): the thin
trio layer over ``pullpolicy.plan_pulls`` and ``runtime.distribution.transfers``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import partial

import trio

from common.errors import ImageError
from compose.cli.views.transferview import TransferView
from compose.planning.pullpolicy import PullRequest, plan_pulls
from compose.spec.model import Project
from compose.wiring import WiredContext as Context
from runtime.distribution.progress import Transfer
from runtime.distribution.transfers import Transfers, open_transfers, run_all
from runtime.images.documents import parse_platform
from runtime.images.store import ImageStore


def local_images(store: ImageStore, images: list[str]) -> dict[str, tuple[bool, float | None]]:
    """Per image: in the store, and when its name was tagged (synchronous)."""
    found = {}
    for image in images:
        entry = store.find(image)
        found[image] = (entry is not None, entry.tagged if entry else None)
    return found


async def pull_services(ctx: Context, project: Project, environ: Mapping[str, str], *,
                        policy: str | None = None, default: str = "missing",
                        quiet: bool = False, ignore_failures: bool = False,
                        ) -> list[PullRequest]:
    """Pull what the services' policies (or ``policy``) ask for; returns the pulls."""
    services = project.services
    images = {name: s.image for name, s in services.items()}
    for name, image in images.items():
        try:
            await trio.to_thread.run_sync(ctx.store.find, image)
        except ImageError as exc:
            raise ImageError(f"service {name}: {exc}") from None
    local = await trio.to_thread.run_sync(local_images, ctx.store, sorted(set(images.values())))
    requests = plan_pulls({n: s.canonical for n, s in services.items()}, images, local,
                          time.time(), policy, default)
    if not requests:
        return []
    with TransferView(ctx.output.err, "Pulling", quiet=quiet) as view:
        async with open_transfers(ctx.store, environ, view) as transfers:
            failures: list[str] = []
            await run_all(partial(_pull, transfers, request, local, failures, ignore_failures)
                          for request in requests)
    for failure in failures:
        ctx.output.warn(failure)
    return requests


async def _pull(transfers: Transfers, request: PullRequest,
                local: Mapping[str, tuple[bool, float | None]], failures: list[str],
                ignore_failures: bool) -> None:
    label = request.services[0]
    for other in request.services[1:]:
        transfers.report(Transfer(other, f"Skipped - Image is already being pulled by {label}",
                                  done=True))
    try:
        platform = parse_platform(request.platform) if request.platform else None
        await transfers.pull(request.image, platform, label)
    except ImageError as exc:
        if local[request.image][0]:
            message = f"service {label}: pulling {request.image}: {exc}"
        else:
            message = (f"service {label}: image {request.image} is not in the local store "
                       f"and pulling it failed: {exc}")
        if not ignore_failures:
            raise ImageError(message) from None
        failures.append(message)
