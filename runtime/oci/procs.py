"""Processes as ``ps -ef`` shows them (``top``): read from /proc, parsed purely."""

from __future__ import annotations

import os
import pwd
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    uid: int
    tty_nr: int
    cpu_ticks: int
    start_ticks: int
    command: str


def parse_stat(text: str) -> tuple[int, int, int, int]:
    """ppid, tty_nr, utime+stime, starttime from /proc/<pid>/stat (the command may
    contain spaces and parentheses: fields count from the last ``)``)."""
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[4]), int(fields[11]) + int(fields[12]), int(fields[19])


def read_process(pid: int) -> ProcessInfo | None:
    try:
        base = Path(f"/proc/{pid}")
        stat = (base / "stat").read_text()
        cmdline = (base / "cmdline").read_bytes()
        uid = base.stat().st_uid
    except (FileNotFoundError, ProcessLookupError):
        return None
    ppid, tty_nr, ticks, start = parse_stat(stat)
    command = " ".join(a.decode(errors="replace") for a in cmdline.split(b"\0") if a)
    if not command:
        command = "[" + stat[stat.index("(") + 1:stat.rindex(")")] + "]"
    return ProcessInfo(pid, ppid, uid, tty_nr, ticks, start, command)


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _tty(tty_nr: int) -> str:
    if tty_nr == 0:
        return "?"
    major, minor = (tty_nr >> 8) & 0xFFF, (tty_nr & 0xFF) | ((tty_nr >> 12) & 0xFFF00)
    return f"pts/{minor}" if major == 136 else f"tty{minor}"


def top_rows(processes: list[ProcessInfo], *, boot_time: float, now: float) -> list[list[str]]:
    """Rows of ``ps -ef``'s columns (docker top's default)."""
    rows = []
    for p in sorted(processes, key=lambda p: p.pid):
        started = boot_time + p.start_ticks / CLOCK_TICKS
        elapsed = max(now - started, 1e-9)
        cpu = int(p.cpu_ticks / CLOCK_TICKS / elapsed * 100)
        stime = time.strftime("%H:%M" if now - started < 86400 else "%b%d",
                              time.localtime(started))
        seconds = p.cpu_ticks // CLOCK_TICKS
        cputime = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        rows.append([_user(p.uid), str(p.pid), str(p.ppid), str(cpu), stime, _tty(p.tty_nr),
                     cputime, p.command])
    return rows


def boot_time() -> float:
    with open("/proc/stat") as handle:
        for line in handle:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def top(pids: list[int]) -> list[list[str]]:
    """``ps -ef``'s rows for these processes (those still there)."""
    found = [p for p in (read_process(pid) for pid in pids) if p is not None]
    return top_rows(found, boot_time=boot_time(), now=time.time())
