"""The supervisor's control socket: ``<run>/supervisors/<project>.sock``, a Unix
socket only root may open (mode 0600 in a root-owned directory), one JSON request
and one JSON answer per connection.

``{"op": "rescan"}`` makes the supervisor watch new containers (and forget removed
ones) and answers once it does, so ``up`` knows the supervisor has taken over what
it just created; ``{"op": "status"}`` answers what it watches.  A signal (SIGHUP)
does the same job without an answer, and stays the fallback.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from common.paths import Layout

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
MAX_REQUEST = 64 * 1024


def socket_path(layout: Layout, project: str) -> Path:
    return layout.run / "supervisors" / f"{project}.sock"


async def serve(path: Path, handler: Handler,
                task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
    """Answer requests on ``path`` until cancelled; the socket file is removed then."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a previous supervisor's, which holds no lock any more
    listener = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        old_umask = os.umask(0o177)
        try:
            await listener.bind(str(path))
        finally:
            os.umask(old_umask)
        os.chmod(path, 0o600)
        listener.listen(16)
        task_status.started()
        async with trio.open_nursery() as nursery:
            while True:
                connection, _ = await listener.accept()
                nursery.start_soon(_answer, trio.SocketStream(connection), handler)
    finally:
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


async def _answer(stream: trio.SocketStream, handler: Handler) -> None:
    async with stream:
        data = b""
        with trio.move_on_after(5):
            while not data.endswith(b"\n") and len(data) < MAX_REQUEST:
                chunk = await stream.receive_some(4096)
                if not chunk:
                    break
                data += chunk
        try:
            request = json.loads(data)
            if not isinstance(request, dict):
                raise ValueError("not an object")
            answer = await handler(request)
        except ValueError as exc:
            answer = {"ok": False, "error": f"bad request: {exc}"}
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
            await stream.send_all(json.dumps(answer).encode() + b"\n")


async def tell(path: Path, message: dict[str, Any], timeout: float = 1.0) -> bool:
    """Send one request without waiting for its answer (the supervisor answers into
    a closed connection, which it ignores); False when nobody listens there."""
    with trio.move_on_after(timeout):
        stream = await _open(path)
        if stream is None:
            return False
        async with stream:
            with contextlib.suppress(trio.BrokenResourceError):
                await stream.send_all(json.dumps(message).encode() + b"\n")
                return True
    return False


async def request(path: Path, message: dict[str, Any],
                  timeout: float = 10.0) -> dict[str, Any] | None:
    """Send one request; the answer, or None when nobody answers there."""
    with trio.move_on_after(timeout):
        stream = await _open(path)
        if stream is None:
            return None
        async with stream:
            await stream.send_all(json.dumps(message).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = await stream.receive_some(65536)
                if not chunk:
                    break
                data += chunk
        try:
            answer = json.loads(data)
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None
    return None


async def _open(path: Path) -> trio.SocketStream | None:
    """A connection to the socket at ``path``; None when nobody listens there."""
    try:
        return await trio.open_unix_socket(str(path))
    except OSError:
        return None
