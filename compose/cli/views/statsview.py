"""``stats`` numbers as docker prints them (pure), and the live table (rich: the
one rendering outside ``console.py``, kept beside the numbers it shows).

CPU is the container's share of all CPU time between two samples, times the
number of CPUs (so one busy core is 100%); memory is usage without the inactive
page cache, against the limit or the host's memory; network and block I/O are
totals since the container started.  Sizes follow docker's units: binary with
four significant digits for memory (``MiB``), decimal with three for I/O (``kB``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table

from common.status import CgroupStats

_DECIMAL = ("B", "kB", "MB", "GB", "TB", "PB")
_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
HEADERS = ("CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
           "BLOCK I/O", "PIDS")


@dataclass(frozen=True)
class Sample:
    id: str
    name: str
    cgroup: CgroupStats
    system_ns: int
    net: tuple[int, int]


def _go_g(value: float, digits: int) -> str:
    """Go's ``%.<digits>g``: no trailing zeros, no exponent for these sizes."""
    text = f"{value:.{digits}g}"
    if "e" in text:
        text = f"{value:.0f}"
    return text


def _size(value: float, base: int, units: tuple[str, ...], digits: int) -> str:
    index = 0
    while value >= base and index < len(units) - 1:
        value /= base
        index += 1
    return f"{_go_g(value, digits)}{units[index]}"


def decimal_size(value: float) -> str:
    return _size(value, 1000, _DECIMAL, 3)


def binary_size(value: float) -> str:
    return _size(value, 1024, _BINARY, 4)


def cpu_percent(before: Sample | None, after: Sample, cpus: int) -> float:
    if before is None:
        return 0.0
    used = after.cgroup.cpu_ns - before.cgroup.cpu_ns
    system = after.system_ns - before.system_ns
    if used <= 0 or system <= 0:
        return 0.0
    return used / system * cpus * 100.0


def row(before: Sample | None, after: Sample, *, cpus: int, host_memory: int) -> dict[str, str]:
    """One container's line, with docker's JSON field names."""
    limit = after.cgroup.memory_limit or host_memory
    memory = after.cgroup.memory
    return {
        "BlockIO": f"{decimal_size(after.cgroup.block_read)} / "
                   f"{decimal_size(after.cgroup.block_write)}",
        "CPUPerc": f"{cpu_percent(before, after, cpus):.2f}%",
        "Container": after.id[:12],
        "ID": after.id[:12],
        "MemPerc": f"{(memory / limit * 100.0) if limit else 0.0:.2f}%",
        "MemUsage": f"{binary_size(memory)} / {binary_size(limit)}",
        "Name": after.name,
        "NetIO": f"{decimal_size(after.net[0])} / {decimal_size(after.net[1])}",
        "PIDs": str(after.cgroup.pids),
    }


def table_rows(rows: Sequence[dict[str, str]]) -> list[list[str]]:
    return [[r["ID"], r["Name"], r["CPUPerc"], r["MemUsage"], r["MemPerc"], r["NetIO"],
             r["BlockIO"], r["PIDs"]] for r in rows]


def render_live(rows: Sequence[dict[str, str]]) -> Table:
    """A rich table of the rows (what ``stats`` redraws each second)."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    for header in HEADERS:
        table.add_column(header, no_wrap=True)
    for cells in table_rows(rows):
        table.add_row(*cells)
    return table
