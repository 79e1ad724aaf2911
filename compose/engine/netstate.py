"""What a project's network planning reads from the rest of the state root
(synchronous file reads; ``observe`` runs them in a worker thread).

``<root>/networks.json`` configures the address pools as Docker's daemon.json
does::

    {"default-address-pools": [{"base": "10.200.0.0/16", "size": 24},
                               {"base": "fd00:200::/48", "size": 64}]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import state
from common.errors import StateError
from common.paths import Layout
from common.records import ContainerRecord
from common.statefiles import read_json
from compose.planning.observed import Surroundings
from network.ipam import AddressPool

POOLS_FILE = "networks.json"


def surroundings(layout: Layout, project: str,
                 records: Sequence[ContainerRecord] | None = None) -> Surroundings:
    """Other projects' networks and containers; ``records``: every container's
    record, when the caller read them already."""
    networks = {
        record.name: record
        for name in state.project_names(layout) if name != project
        for record in state.project_networks(layout, name).values()
    }
    every = state.container_records(layout) if records is None else records
    containers = tuple(r for r in every if r.project != project)
    return Surroundings(networks=networks, containers=containers,
                        address_pools=address_pools(layout.root / POOLS_FILE))


def address_pools(path: Path) -> tuple[AddressPool, ...]:
    try:
        data: Any = read_json(path)
    except FileNotFoundError:
        return ()
    except (OSError, json.JSONDecodeError) as exc:
        raise StateError(f"cannot read {path}: {exc}") from None
    try:
        return tuple(AddressPool.parse(str(entry["base"]), int(entry["size"]))
                     for entry in data.get("default-address-pools", ()))
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{path}: default-address-pools: invalid entry ({exc})") from None
