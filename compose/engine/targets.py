"""Which of a project's containers a verb acts on: by service, by number, one-off
or not (the record's labels say), running or not."""

from __future__ import annotations

from collections.abc import Sequence

import trio

from common import state
from common.errors import UsageError
from common.paths import Layout
from common.records import ContainerRecord, is_oneoff
from common.status import ContainerStatus


async def project_records(layout: Layout, project: str, services: Sequence[str] = (), *,
                          oneoff: bool = False) -> list[ContainerRecord]:
    """The project's containers (of ``services`` if named), by service and number;
    one-off containers only with ``oneoff``."""
    records = await trio.to_thread.run_sync(state.container_records, layout, project)
    chosen = [r for r in records if (not services or r.service in services)
              and (oneoff or not is_oneoff(r))]
    return sorted(chosen, key=lambda r: (r.service, is_oneoff(r), r.number, r.name))


def pick(statuses: Sequence[ContainerStatus], service: str, index: int) -> ContainerStatus:
    """The ``index``-th container of ``service``, which must be running."""
    for status in statuses:
        if status.record.service == service and status.record.number == index \
                and not is_oneoff(status.record):
            if not status.running:
                raise UsageError(f"service {service!r} is not running")
            return status
    if index != 1:
        raise UsageError(f"service {service!r} has no container number {index}")
    raise UsageError(f"service {service!r} is not running")


def pick_running(statuses: Sequence[ContainerStatus], service: str,
                 index: int = 0) -> ContainerStatus:
    """What ``attach`` joins, chosen as docker compose's ``getSpecifiedContainer``
    chooses: the running containers of ``service`` (one-off ones too, after the
    others), the ``index``-th if given, else the lowest number."""
    running = [s for s in statuses if s.record.service == service and s.running
               and (index <= 0 or s.record.number == index)]
    if not running:
        suffix = f" container #{index}" if index > 0 else ""
        raise UsageError(f'service "{service}" is not running{suffix}')
    return min(running, key=lambda s: (is_oneoff(s.record), s.record.number))
