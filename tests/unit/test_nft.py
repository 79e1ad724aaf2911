"""network/nft.py: a script's result is known before its context is freed, which
closes a netlink socket the kernel holds for milliseconds."""

from __future__ import annotations

import ctypes
import threading
import time
from typing import cast

from network.nft import run_script


class SlowLibrary:
    """libnftables' functions as run_script calls them; freeing takes a while."""

    def __init__(self, status: int = 0, error: bytes = b"") -> None:
        self.status = status
        self.error = error
        self.freed = threading.Event()
        self.freed_by: str | None = None
        self.let_free = threading.Event()

    def nft_ctx_new(self, flags: int) -> int:
        return 1234

    def nft_ctx_buffer_output(self, ctx: int) -> None:
        pass

    def nft_ctx_buffer_error(self, ctx: int) -> None:
        pass

    def nft_run_cmd_from_buffer(self, ctx: int, script: bytes) -> int:
        return self.status

    def nft_ctx_get_error_buffer(self, ctx: int) -> bytes:
        return self.error

    def nft_ctx_free(self, ctx: int) -> None:
        assert ctx == 1234
        self.let_free.wait(10)
        self.freed_by = threading.current_thread().name
        self.freed.set()


def test_the_result_comes_before_the_context_is_freed() -> None:
    lib = SlowLibrary()
    started = time.monotonic()
    assert run_script(cast(ctypes.CDLL, lib), "table inet t {}\n") is None
    assert time.monotonic() - started < 5 and not lib.freed.is_set()
    lib.let_free.set()
    assert lib.freed.wait(10)
    assert lib.freed_by == "nft-free" != threading.current_thread().name


def test_an_error_is_returned_and_its_context_freed_too() -> None:
    lib = SlowLibrary(status=1, error=b"Error: syntax error\n")
    lib.let_free.set()
    assert run_script(cast(ctypes.CDLL, lib), "nonsense") == "Error: syntax error"
    assert lib.freed.wait(10)
