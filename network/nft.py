"""Running nftables scripts (``firewall.py`` writes them, purely): the project's
table on the host, and the DNS redirect inside a container's namespace.

They go through libnftables (the library behind ``nft``, Debian's libnftables1,
which nftables depends on) in-process: no ``nft`` process per network and no
``nsenter`` per container.  The namespace is entered by a thread of its own
(``nsthread.py``).  Without the library the ``nft`` command does the same.
"""

from __future__ import annotations

import ctypes
import os
import queue
import subprocess
import threading
from functools import partial
from pathlib import Path

import trio

from common.errors import NetworkFailure
from network.nsthread import in_own_thread

_LIBRARY = "libnftables.so.1"
NFT_CTX_DEFAULT = 0
_MISSING = ("nft is not installed (Debian package nftables); pycompose needs it to publish "
            "ports and let containers reach the outside")


class _Library:
    """libnftables's few functions, loaded once (None when it is not installed)."""

    handle: ctypes.CDLL | None = None
    tried = False

    @classmethod
    def load(cls) -> ctypes.CDLL | None:
        if not cls.tried:
            cls.tried = True
            try:
                lib = ctypes.CDLL(_LIBRARY)
            except OSError:
                return None
            lib.nft_ctx_new.restype = ctypes.c_void_p
            lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
            lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
            lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
            lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
            lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
            lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
            lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            cls.handle = lib
        return cls.handle


def run_script(lib: ctypes.CDLL, script: str) -> str | None:
    """Run ``script`` in this thread's namespace; nft's error text, or None.  The
    context is freed afterwards by ``_freeing``, not by the caller."""
    ctx = lib.nft_ctx_new(NFT_CTX_DEFAULT)
    if not ctx:
        return "cannot make an nftables context"
    try:
        lib.nft_ctx_buffer_output(ctx)
        lib.nft_ctx_buffer_error(ctx)
        if lib.nft_run_cmd_from_buffer(ctx, script.encode()) == 0:
            return None
        error: bytes | None = lib.nft_ctx_get_error_buffer(ctx)
        return (error or b"").decode(errors="replace").strip() or "?"
    finally:
        _freeing.free(lib, ctx)


class _Freeing:
    """Frees nftables contexts on a thread of its own.  Freeing one closes its
    netlink socket, and the kernel holds that close 8-20 ms here: it sat on the
    way of a network's creation and of each container's DNS redirect, after the
    script had run.  A daemon thread, started at the first free; a context still
    queued when the process ends is closed with it.  A forked child starts without
    it (its queue would have no reader)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[ctypes.CDLL, int]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forked)

    def free(self, lib: ctypes.CDLL, ctx: int) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nft-free", daemon=True)
                self._thread.start()
        self._queue.put((lib, ctx))

    def _run(self) -> None:
        while True:
            lib, ctx = self._queue.get()
            lib.nft_ctx_free(ctx)

    def _forked(self) -> None:
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._lock = threading.Lock()


_freeing = _Freeing()


async def apply_nft(script: str, needed: bool = True, netns: Path | None = None) -> None:
    """Run an nftables script (in the namespace at ``netns``, if given); without
    nftables, only a script that adds rules fails (so ``down`` still works where
    nft never was)."""
    lib = _Library.load()
    if lib is None:
        error = await _run_command(script, needed, netns)
    elif netns is None:
        error = await trio.to_thread.run_sync(run_script, lib, script)
    else:
        error = await trio.to_thread.run_sync(in_own_thread, partial(run_script, lib, script),
                                              netns)
    _refused(error)


def apply_nft_here(script: str) -> None:
    """``apply_nft`` from a thread already in the namespace the rules are for (one
    that does more there, as the DNS server's binding: ``dnshost.py``)."""
    lib = _Library.load()
    if lib is not None:
        _refused(run_script(lib, script))
        return
    try:  # a child forked from this thread is born in its namespace
        result = subprocess.run(["nft", "-f", "-"], input=script.encode(),
                                capture_output=True, check=False)
    except FileNotFoundError:
        raise NetworkFailure(_MISSING) from None
    if result.returncode != 0:
        _refused(result.stderr.decode(errors="replace").strip() or "?")


def _refused(error: str | None) -> None:
    if error is not None:
        lines = error.splitlines()
        raise NetworkFailure(f"nft refused the firewall rules: {lines[0] if lines else '?'}")


async def _run_command(script: str, needed: bool, netns: Path | None) -> str | None:
    """The ``nft`` command (under ``nsenter`` for a namespace): its error, or None."""
    inside = ["nsenter", f"--net={netns}", "--"] if netns is not None else []
    try:
        result = await trio.run_process([*inside, "nft", "-f", "-"], stdin=script.encode(),
                                        capture_stdout=True, capture_stderr=True, check=False)
    except FileNotFoundError:
        if not needed:
            return None
        raise NetworkFailure(_MISSING) from None
    if result.returncode != 0:
        return result.stderr.decode(errors="replace").strip() or "?"
    return None
