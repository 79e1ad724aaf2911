"""What pycompose prints to a file or a pipe: the text rich would print there,
written without rich (compose/cli/console.py); a terminal, or colours forced, get
rich's output."""

from __future__ import annotations

import io
import os
import pty

import pytest

from compose.cli.console import Output
from compose.engine.events import Progress


def rich_text(write: object) -> str:
    """What rich itself writes for the same call, to a file."""
    stream = io.StringIO()
    output = Output(stderr=stream)
    output.err  # noqa: B018  # rich in use from the start: rich prints
    write(output)  # type: ignore[operator]
    return stream.getvalue()


@pytest.mark.parametrize("call", [
    lambda o: o.progress(Progress("Container", "shop-web-1", "Started", done=True)),
    lambda o: o.progress(Progress("Network", "shop_default", "Created", done=True)),
    lambda o: o.warn("the attribute `version` is obsolete, it will be ignored"),
    lambda o: o.progress(Progress("Container", "shop-web-1", "Starting")),  # not done: none
])
def test_a_pipe_gets_what_rich_would_print_without_rich(call: object,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    stream = io.StringIO()
    output = Output(stderr=stream)
    call(output)  # type: ignore[operator]
    assert "err" not in output.__dict__  # no rich console was made
    assert stream.getvalue() == rich_text(call)


def test_a_terminal_gets_rich_colours(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            output = Output(stderr=terminal)
            output.progress(Progress("Container", "shop-web-1", "Started", done=True))
            assert "err" in output.__dict__
        assert b"\x1b[" in os.read(leader, 4096)  # styled by rich
    finally:
        os.close(leader)
        os.close(follower)


def test_forced_colours_are_rich_s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    stream = io.StringIO()
    output = Output(stderr=stream)
    output.progress(Progress("Container", "shop-web-1", "Started", done=True))
    assert "err" in output.__dict__ and "\x1b[" in stream.getvalue()
