"""compose/supervisor/dnshost.py: the name table is rebuilt asking the runtime only
about the containers whose serving may have changed."""

from __future__ import annotations

import random
from pathlib import Path

from common.paths import Layout
from common.records import ContainerRecord
from compose.supervisor.dnshost import DnsHost
from tests.unit.test_dnstable import DB, EDGE, WEB1


class Runtime:
    """Which containers run, and who was asked."""

    def __init__(self, *running: ContainerRecord) -> None:
        self.running = {r.id for r in running}
        self.asked: list[str] = []

    def __call__(self, record: ContainerRecord) -> bool:
        self.asked.append(record.name)
        return record.id in self.running


def resolves(host: DnsHost, name: str, asker: ContainerRecord = EDGE) -> bool:
    lookup = host.server.table.lookup(host.server.table.client(asker.id), name, "A",
                                      random.Random(0))
    return bool(lookup.addresses)


def test_only_changed_and_new_containers_are_asked_again(tmp_path: Path) -> None:
    runtime = Runtime(WEB1, EDGE)
    host = DnsHost(Layout(tmp_path, tmp_path / "run"), runtime)
    host.refresh([WEB1, EDGE])
    assert sorted(runtime.asked) == ["p-edge-1", "p-web-1"]
    runtime.asked.clear()
    runtime.running.add(DB.id)
    runtime.running.discard(WEB1.id)  # stopped, but nobody said so yet
    host.refresh([WEB1, EDGE, DB], {EDGE.id})
    assert sorted(runtime.asked) == ["p-db-1", "p-edge-1"]  # DB is new to the table
    assert resolves(host, "p-web-1") and resolves(host, "p-db-1", WEB1)
    runtime.asked.clear()
    host.refresh([WEB1, EDGE, DB], {WEB1.id})
    assert runtime.asked == ["p-web-1"] and not resolves(host, "p-web-1")
    runtime.asked.clear()
    host.refresh([WEB1, EDGE, DB])  # None: every one
    assert sorted(runtime.asked) == ["p-db-1", "p-edge-1", "p-web-1"]


def test_a_container_gone_from_the_table_is_asked_when_it_comes_back(tmp_path: Path) -> None:
    runtime = Runtime(WEB1, EDGE)
    host = DnsHost(Layout(tmp_path, tmp_path / "run"), runtime)
    host.refresh([WEB1, EDGE])
    host.refresh([EDGE], set())
    runtime.asked.clear()
    runtime.running.discard(WEB1.id)
    host.refresh([WEB1, EDGE], set())
    assert runtime.asked == ["p-web-1"] and not resolves(host, "p-web-1")
