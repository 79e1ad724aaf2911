"""The terminal pycompose runs in: whether there is one, raw mode while a
container owns it, its size."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import sys
import termios
import tty as ttymod
from collections.abc import Callable, Iterator


def is_terminal() -> bool:
    """Both ends of our stdio are a terminal: only then is a pseudo-terminal wanted."""
    return os.isatty(0) and os.isatty(1)


@contextlib.contextmanager
def _mode(change: Callable[[int], object]) -> Iterator[None]:
    """Our terminal (fd 0) changed by ``change`` meanwhile, as it was afterwards;
    nothing done when it is not a terminal."""
    if not os.isatty(0):
        yield
        return
    saved = termios.tcgetattr(0)
    try:
        change(0)
        yield
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def raw_terminal(enabled: bool) -> Iterator[None]:
    """Our terminal in raw mode (keys go to the container as they are typed)."""
    if not enabled:
        yield
        return
    with _mode(ttymod.setraw):
        yield


def keys_mode() -> contextlib.AbstractContextManager[None]:
    """Our terminal reads key by key without echo, Ctrl-C still a signal (the
    dashboard's keys); as it was afterwards."""
    return _mode(ttymod.setcbreak)


def terminal_size() -> tuple[int, int] | None:
    try:
        rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        return None
    return rows, cols


def columns() -> int:
    """The width text is wrapped to, as ``shutil.get_terminal_size`` tells it
    (``COLUMNS``, else standard output's terminal, else 80), without importing
    shutil: with its compression modules, 2 ms of a command's start."""
    with contextlib.suppress(KeyError, ValueError):
        if (given := int(os.environ["COLUMNS"])) > 0:
            return given
    size = terminal_size()
    return size[1] if size and size[1] else 80


def flush_stdio() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
