"""compose/cli/views/statsview.py: docker stats' numbers and units."""

from __future__ import annotations

import pytest

from common.status import CgroupStats
from compose.cli.views.statsview import Sample, binary_size, cpu_percent, decimal_size, row


@pytest.mark.parametrize(("value", "text"), [
    (0, "0B"), (999, "999B"), (1234, "1.23kB"), (1_500_000, "1.5MB"), (12_345_678_901, "12.3GB"),
])
def test_decimal_sizes(value: int, text: str) -> None:
    assert decimal_size(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (0, "0B"), (618496, "604KiB"), (64 * 1024 * 1024, "64MiB"),
    (int(23.54 * 1024 ** 3), "23.54GiB"), (1536, "1.5KiB"),
])
def test_binary_sizes(value: int, text: str) -> None:
    assert binary_size(value) == text


def sample(cpu: int, system: int, memory: int = 0, limit: int | None = None) -> Sample:
    return Sample("f" * 64, "p-web-1", CgroupStats(cpu_ns=cpu, memory=memory,
                                                   memory_limit=limit, pids=2,
                                                   block_read=4096, block_write=0),
                  system, (1420, 586))


def test_cpu_percent_is_share_of_all_cpus_times_count() -> None:
    assert cpu_percent(None, sample(5, 5), 2) == 0.0
    # half of all CPU time on a 2-CPU host: one full core, 100%
    assert cpu_percent(sample(0, 0), sample(500, 1000), 2) == 100.0


def test_row_like_docker() -> None:
    assert row(sample(0, 0), sample(250, 1000, 618496, 64 << 20), cpus=2,
               host_memory=1 << 30) == {
        "BlockIO": "4.1kB / 0B", "CPUPerc": "50.00%", "Container": "ffffffffffff",
        "ID": "ffffffffffff", "MemPerc": "0.92%", "MemUsage": "604KiB / 64MiB",
        "Name": "p-web-1", "NetIO": "1.42kB / 586B", "PIDs": "2"}
    assert row(None, sample(0, 0, 1 << 20), cpus=1, host_memory=1 << 30)["MemUsage"] == \
        "1MiB / 1GiB"  # no limit: the host's memory
