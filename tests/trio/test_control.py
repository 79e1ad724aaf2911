"""The supervisor's control socket: one JSON request, one JSON answer, root only."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import trio

from compose.supervisor import control


async def test_requests_are_answered_and_the_socket_is_private(tmp_path: Path) -> None:
    path = tmp_path / "supervisors" / "p.sock"
    seen: list[dict[str, Any]] = []

    async def handler(request: dict[str, Any]) -> dict[str, Any]:
        seen.append(request)
        return {"ok": True, "echo": request.get("op")}

    async with trio.open_nursery() as nursery:
        await nursery.start(control.serve, path, handler)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert await control.request(path, {"op": "rescan"}) == {"ok": True, "echo": "rescan"}
        assert await control.request(path, {"op": "status"}) == {"ok": True, "echo": "status"}
        nursery.cancel_scope.cancel()
    assert seen == [{"op": "rescan"}, {"op": "status"}]
    assert not path.exists()  # removed when the server ends


async def test_nobody_there_is_none(tmp_path: Path) -> None:
    assert await control.request(tmp_path / "none.sock", {"op": "rescan"}) is None
    (tmp_path / "stale.sock").write_text("")  # not a socket: a dead supervisor's leftovers
    assert await control.request(tmp_path / "stale.sock", {"op": "rescan"}) is None


async def test_a_bad_request_gets_an_error_answer(tmp_path: Path) -> None:
    path = tmp_path / "p.sock"

    async def handler(request: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("not called")

    async with trio.open_nursery() as nursery:
        await nursery.start(control.serve, path, handler)
        stream = await trio.open_unix_socket(str(path))
        async with stream:
            await stream.send_all(b"[1, 2]\n")
            answer = await stream.receive_some(1000)
        assert b'"ok": false' in answer and b"bad request" in answer
        nursery.cancel_scope.cancel()


async def test_a_request_told_is_handled_without_its_teller_waiting(tmp_path: Path) -> None:
    """``run --rm`` tells the supervisor to forget its container and ends: the
    supervisor handles the request after the teller has gone, and its answer into
    the closed connection is no error."""
    path = tmp_path / "p.sock"
    handled = trio.Event()
    release = trio.Event()

    async def handler(request: dict[str, Any]) -> dict[str, Any]:
        await release.wait()  # slower than the teller
        handled.set()
        return {"ok": True}

    async with trio.open_nursery() as nursery:
        await nursery.start(control.serve, path, handler)
        assert await control.tell(path, {"op": "rescan"})
        assert not handled.is_set()  # told, not waited for
        release.set()
        await handled.wait()
        assert await control.request(path, {"op": "status"}) == {"ok": True}  # serving on
        nursery.cancel_scope.cancel()
    assert not await control.tell(tmp_path / "none.sock", {"op": "rescan"})
