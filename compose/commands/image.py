"""``pycompose image bootstrap``: a base image made from the host, for offline use."""

from __future__ import annotations

import trio

from compose.context import Context
from runtime.bootstrap import bootstrap_busybox


async def bootstrap(ctx: Context, name: str = "busybox:latest") -> int:
    digest = await trio.to_thread.run_sync(bootstrap_busybox, ctx.store, name)
    ctx.output.text(f"{name} {digest}")
    return 0
