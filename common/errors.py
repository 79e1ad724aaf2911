"""Every error pycompose reports to a user, as one tree.

    PycomposeError                 one line for the user, exit status 1
    ├── ComposeFileError           a Compose file is unreadable or invalid (file:line:col key)
    ├── UsageError                 the command line asks for something that does not exist
    ├── ImageError                 an image is missing from the store or malformed
    ├── BuildError                 a Dockerfile is invalid or one of its steps failed
    ├── RuntimeFailure             the OCI runtime, conmon or a mount refused to work
    │   └── HookFailed             a post_start hook exited non-zero (exit status: its own)
    ├── NetworkFailure             the kernel refused a bridge, veth, address or route
    ├── StateError                 state on disk is locked by another pycompose or unreadable
    └── HostError                  the host ran out of something (disk, files, memory) or
                                   refused access: an OSError, said with what to do

Nothing is swallowed: the CLI prints ``str(error)`` and exits with its
``exit_status`` (1 unless the error says otherwise); any other exception is a bug
and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass


def shorten(text: str, limit: int = 160) -> str:
    """Keep an error on one readable line, whatever the input held."""
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PycomposeError(Exception):
    """An error with a message meant for the user, printed on one line."""

    exit_status: int = 1


@dataclass(frozen=True)
class Location:
    """Where in a Compose file something is: file, 1-based line and column, key path."""

    file: str
    line: int | None = None
    column: int | None = None
    key: str = ""

    def __str__(self) -> str:
        where = shorten(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {shorten(self.key)}" if self.key else where


class ComposeFileError(PycomposeError):
    """A Compose file cannot be read, parsed or validated."""

    def __init__(self, location: Location, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {shorten(message, 400)}")


class UsageError(PycomposeError):
    """The command line names a service, file or option that does not exist."""


class ImageError(PycomposeError):
    """An image is not in the local store or its content is invalid."""


class BuildError(PycomposeError):
    """A Dockerfile cannot be read or a build step failed (its output is shown first)."""


class RuntimeFailure(PycomposeError):
    """The OCI runtime, conmon or a filesystem mount failed."""


class HookFailed(RuntimeFailure):
    """A ``post_start`` hook exited non-zero: the command fails with the hook's own
    exit status, as ``exec`` would."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_status = code if 0 < code < 256 else 1


class NetworkFailure(PycomposeError):
    """Creating or removing a bridge, veth, address or route failed."""


class StateError(PycomposeError):
    """pycompose's state on disk is locked, missing or unreadable."""


class HostError(PycomposeError):
    """The host refused an operation for a reason of its own: a full disk, a
    read-only filesystem, too many open files."""


_WHAT_TO_DO = {
    errno.ENOSPC: "free space on that filesystem and run the command again",
    errno.EDQUOT: "free space (the disk quota is reached) and run the command again",
    errno.EROFS: "remount it read-write, or point PYCOMPOSE_ROOT at a writable directory",
    errno.EMFILE: "raise the open-files limit (ulimit -n) and run the command again",
    errno.ENFILE: "the host's open-files table is full: close programs and run it again",
    errno.ENOMEM: "the host is out of memory: free some and run the command again",
    errno.EIO: "the disk reported an I/O error: check it (dmesg) before going on",
    errno.EACCES: "pycompose must run as root, on files root may change",
}


def host_error(exc: BaseException, doing: str | None = None) -> HostError | None:
    """``exc`` as one line naming what failed and what to do, when it is an OSError
    the host caused (full disk, read-only filesystem...); None for any other
    exception, which stays what it is (a bug keeps its traceback)."""
    if isinstance(exc, HostError):
        return exc
    if not isinstance(exc, OSError) or exc.errno not in _WHAT_TO_DO:
        return None
    what = doing or (f"cannot use {exc.filename}" if exc.filename else "a system call failed")
    return HostError(f"{what}: {os.strerror(exc.errno)}; {_WHAT_TO_DO[exc.errno]}")


FULL_BELOW = 1 << 20
"""Free bytes under which a filesystem is taken for full."""


def full_disk(path: str | os.PathLike[str], doing: str) -> HostError | None:
    """``doing`` failed on a full filesystem (``path``'s), said as ``host_error``
    says ENOSPC; None when it has room.  For a process that failed without a word
    (conmon, a supervisor): on a full disk it cannot even write why."""
    try:
        room = os.statvfs(path)
    except OSError:
        return None
    if room.f_bfree * room.f_frsize < FULL_BELOW or (room.f_files and not room.f_ffree):
        return host_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), doing)
    return None


def user_error(exc: BaseException) -> PycomposeError | None:
    """The error to tell the user, if ``exc`` is one: a PycomposeError, an OSError the
    host caused, or a nursery's group holding only those (a bug elsewhere in the group
    must keep its traceback)."""
    if isinstance(exc, BaseExceptionGroup):
        return first_user_error(exc)
    return exc if isinstance(exc, PycomposeError) else host_error(exc)


def first_user_error(group: BaseExceptionGroup[BaseException]) -> PycomposeError | None:
    """The first error meant for the user, if the group holds nothing else."""
    matched, rest = group.split(lambda e: isinstance(e, PycomposeError) or
                                host_error(e) is not None)
    if matched is None or rest is not None:
        return None
    leaf: BaseException = matched
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    return user_error(leaf)
