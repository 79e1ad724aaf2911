"""runtime/oci/cgroups.py: what a container's cgroup counts, on v1 and v2 layouts."""

from __future__ import annotations

from pathlib import Path

from common.status import CgroupStats
from runtime.oci.cgroups import (
    blkio_v1,
    flat_keyed,
    io_stat_v2,
    net_dev,
    oom_kills,
    read_stats,
    system_cpu_ns,
)

PATH = "/pycompose/abc"


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_v1(tmp_path: Path) -> None:
    write(tmp_path, "cpuacct/pycompose/abc/cpuacct.usage", "123456789\n")
    write(tmp_path, "memory/pycompose/abc/memory.usage_in_bytes", "10485760\n")
    write(tmp_path, "memory/pycompose/abc/memory.stat", "cache 1\ntotal_inactive_file 2097152\n")
    write(tmp_path, "memory/pycompose/abc/memory.limit_in_bytes", "9223372036854771712\n")
    write(tmp_path, "memory/pycompose/abc/memory.oom_control",
          "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    write(tmp_path, "pids/pycompose/abc/pids.current", "3\n")
    write(tmp_path, "blkio/pycompose/abc/blkio.throttle.io_service_bytes",
          "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 1\nTotal 4609\n")
    assert read_stats(PATH, cgroup2=False, root=tmp_path) == CgroupStats(
        cpu_ns=123456789, memory=8388608, memory_limit=None, pids=3,
        block_read=4097, block_write=512)
    assert oom_kills(PATH, cgroup2=False, root=tmp_path) == 2


def test_v2(tmp_path: Path) -> None:
    write(tmp_path, "pycompose/abc/cpu.stat", "usage_usec 1500\nuser_usec 1000\n")
    write(tmp_path, "pycompose/abc/memory.current", "4096\n")
    write(tmp_path, "pycompose/abc/memory.stat", "inactive_file 1024\n")
    write(tmp_path, "pycompose/abc/memory.max", "33554432\n")
    write(tmp_path, "pycompose/abc/memory.events", "low 0\noom 1\noom_kill 1\n")
    write(tmp_path, "pycompose/abc/pids.current", "7\n")
    write(tmp_path, "pycompose/abc/io.stat", "8:0 rbytes=100 wbytes=20 rios=1 wios=1\n")
    assert read_stats(PATH, cgroup2=True, root=tmp_path) == CgroupStats(
        cpu_ns=1500000, memory=3072, memory_limit=33554432, pids=7, block_read=100,
        block_write=20)
    assert oom_kills(PATH, cgroup2=True, root=tmp_path) == 1


def test_missing_cgroup_reads_as_zero(tmp_path: Path) -> None:
    assert read_stats(PATH, cgroup2=False, root=tmp_path) == CgroupStats()
    assert oom_kills(PATH, cgroup2=True, root=tmp_path) == 0


def test_parsers() -> None:
    assert flat_keyed("a 1\nb -2\nbad line here\nc x\n") == {"a": 1, "b": -2}
    assert blkio_v1("") == (0, 0)
    assert io_stat_v2("8:0 rbytes=1 wbytes=2\n8:16 rbytes=3 wbytes=4\n") == (4, 6)
    dev = ("Inter-|   Receive |  Transmit\n face |bytes packets ...\n"
           "    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0\n"
           "  eth0: 1420 12 0 0 0 0 0 0 586 7 0 0 0 0 0 0\n")
    assert net_dev(dev) == (1420, 586)
    assert system_cpu_ns("cpu  10 0 20 70 0 0 0 0 0 0\ncpu0 1 2 3\n") == 100 * 10_000_000
