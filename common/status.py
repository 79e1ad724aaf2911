"""What the backends report about containers, as plain data every layer passes:
a container's status, a health probe's result, a line of its output."""

from __future__ import annotations

from dataclasses import dataclass

from common.records import ContainerRecord

CREATED, RUNNING, EXITED, DEAD = "created", "running", "exited", "dead"
DETACHED, INTERRUPTED = "detached", "interrupted"  # how an attach ended, besides EXITED


@dataclass(frozen=True)
class AttachEnd:
    """How ``attach`` ended and the status to exit with: the container exited (its
    code), the user typed the detach keys (0), or a SIGINT/SIGTERM came with nobody
    to forward it to (128+N)."""

    how: str  # EXITED | DETACHED | INTERRUPTED
    code: int


@dataclass(frozen=True)
class ContainerStatus:
    record: ContainerRecord
    state: str  # created | running | exited | dead (the runtime lost it, e.g. after a reboot)
    exit_code: int | None = None
    pid: int | None = None
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        return self.state == RUNNING


@dataclass(frozen=True)
class Probe:
    """One run of a health check's command inside the container."""

    start: float
    end: float
    exit_code: int  # -1: the probe could not run or timed out
    output: str = ""


@dataclass(frozen=True)
class LogLine:
    """One line a container printed: when, on which stream, and what."""

    time: str
    stream: str
    text: str


@dataclass(frozen=True)
class CgroupStats:
    """What a container's cgroup has counted since it was made."""

    cpu_ns: int = 0
    memory: int = 0
    """Usage without the inactive page cache, as ``docker stats`` shows it."""
    memory_limit: int | None = None
    pids: int = 0
    block_read: int = 0
    block_write: int = 0


@dataclass(frozen=True)
class Usage:
    """A container's resource use at one moment (``stats``): its cgroup's counters,
    its network totals, and the host's CPU time the CPU percentage is taken against."""

    cgroup: CgroupStats
    net: tuple[int, int] = (0, 0)
    """Bytes received and sent on every interface but ``lo``."""
    system_cpu_ns: int = 0


@dataclass(frozen=True)
class LogPosition:
    """Where reading a container's log stopped: the file (by inode, as rotation
    renames files) and the offset in it.  ``logs -f`` reads the history, then
    follows from here without losing or repeating a line."""

    inode: int = 0
    offset: int = 0
