"""Pushing images (``push``, ``image push``) through one registry session of the
image backend, its progress drawn through ``ctx.output``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import trio

from common.concurrency import parallel_limit, run_all
from common.errors import ImageError
from compose.engine.backends import ImageTransfers
from compose.engine.context import Context


async def push_images(ctx: Context, images: Sequence[tuple[str, str]], *, quiet: bool = False,
                      ignore_failures: bool = False) -> list[str]:
    """Push ``(label, image)`` pairs; returns one ``tag: digest: ... size: ...`` line
    each, as docker prints after a push."""
    lines: list[str] = []
    failures: list[str] = []

    async def one(session: ImageTransfers, label: str, image: str) -> None:
        try:
            pushed = await session.push(image, label)
        except ImageError as exc:
            if not ignore_failures:
                raise
            failures.append(f"{label}: {exc}")
            return
        lines.append(f"{image}: digest: {pushed.digest} size: {pushed.size}")

    with ctx.output.transfers("Pushing", quiet) as report:
        async with ctx.images.transfers(report) as session:
            await run_all((partial(one, session, label, image) for label, image in images),
                          limiter=trio.CapacityLimiter(parallel_limit()))
    for failure in failures:
        ctx.output.warn(failure)
    return lines
