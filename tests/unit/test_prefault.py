"""common/prefault.py: a spare's copying stops as soon as its command has come,
and leaves the process at the usual scheduling policy."""

from __future__ import annotations

import os

from common.prefault import make_private, writable_ranges


def test_it_stops_once_the_work_has_come() -> None:
    looks: list[int] = []

    def arrived() -> bool:
        looks.append(1)
        return len(looks) > 3

    make_private(arrived)
    assert len(looks) == 4
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_the_ranges_are_this_process_writable_private_mappings() -> None:
    ranges = list(writable_ranges())
    assert ranges and all(start < end for start, end in ranges)
    here = id(ranges)  # an object of the heap lies in one of them
    assert any(start <= here < end for start, end in ranges)
