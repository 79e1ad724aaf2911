"""The command's side of a standby supervisor: the supervisors' server's answer is
read only when the standby is taken, and a refusal then starts a new interpreter
in its place (on new pipes: the project goes to the one that will read it)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from common import forkclient
from compose.supervisor import standby


def _asked(answer: bytes) -> forkclient.Detached:
    ours, server = socket.socketpair()
    server.sendall(answer)
    server.close()
    return forkclient.Detached(ours)


def _pipes() -> tuple[int, int, int, int]:
    go_read, go_write = os.pipe()
    ready_read, ready_write = os.pipe()
    return go_read, go_write, ready_read, ready_write


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The interpreters ``take`` starts instead: the read ends they would get."""
    made: list[tuple[int, int]] = []

    def start(environ: object, *, forked: bool) -> tuple[int, int, None]:
        assert not forked
        go_read, go_write, ready_read, ready_write = _pipes()
        made.append((go_read, ready_write))
        return go_write, ready_read, None

    monkeypatch.setattr(standby, "_start", start)
    return made


def test_a_forked_standby_is_handed_the_project(started: list[tuple[int, int]],
                                                tmp_path: Path) -> None:
    go_read, go_write, ready_read, _ = _pipes()
    waiting = standby.Standby(go_write, ready_read, {}, _asked(forkclient.PID + bytes(4)))
    assert waiting.take("p", tmp_path / "log") == ready_read
    assert os.read(go_read, 100) == f"p\n{tmp_path / 'log'}\n".encode()
    assert started == []


def test_a_refused_one_is_replaced_by_a_new_interpreter(started: list[tuple[int, int]],
                                                        tmp_path: Path) -> None:
    go_read, go_write, ready_read, _ = _pipes()
    waiting = standby.Standby(go_write, ready_read, {}, _asked(forkclient.REFUSED))
    ready = waiting.take("p", tmp_path / "log")
    ((new_go, _),) = started
    assert ready != ready_read
    assert os.read(new_go, 100) == f"p\n{tmp_path / 'log'}\n".encode()
    assert os.read(go_read, 100) == b""  # the forked one's pipe closed: none was made
