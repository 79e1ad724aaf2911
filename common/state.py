"""Project and container records on disk (synchronous; atomic writes).

``projects/<name>/project.json`` lists the project's networks; each container's
record is ``containers/<id>/container.json``, written by the container backend.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from ipaddress import IPv4Network
from pathlib import Path

from common import topdir
from common.errors import StateError
from common.filecache import FileCache
from common.locks import try_lock
from common.paths import Layout
from common.records import ContainerRecord, NetworkRecord
from common.statefiles import read_json, sync_directory, write_json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def read_project(layout: Layout, project: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = read_json(layout.project_file(project))
    except FileNotFoundError:
        return {"name": project, "networks": {}}
    except (OSError, json.JSONDecodeError) as exc:
        raise StateError(f"cannot read {layout.project_file(project)}: {exc}") from None
    return data


def project_networks(layout: Layout, project: str) -> dict[str, NetworkRecord]:
    networks = read_project(layout, project).get("networks", {})
    return {key: NetworkRecord.from_json(value) for key, value in networks.items()}


def save_network(layout: Layout, network: NetworkRecord) -> None:
    data = read_project(layout, network.project)
    data.setdefault("networks", {})[network.key] = network.to_json()
    write_json(layout.project_file(network.project), data)


def forget_network(layout: Layout, network: NetworkRecord) -> None:
    """The network's record gone from its project's file; the project's directory
    with it once nothing of the project is left (its last ``down``), rather than
    the file written anew, two fsyncs, just before it goes."""
    data = read_project(layout, network.project)
    data.get("networks", {}).pop(network.key, None)
    if not _project_empty(layout, network.project, data):
        write_json(layout.project_file(network.project), data)
        return
    _remove_tree(layout.project_file(network.project).parent)


def _project_empty(layout: Layout, project: str, data: dict[str, Any]) -> bool:
    return not data.get("networks") and not any(
        r.project == project for r in container_records(layout))


def project_names(layout: Layout) -> list[str]:
    try:
        return sorted(p for p in os.listdir(layout.projects)
                      if (layout.projects / p / "project.json").exists())
    except FileNotFoundError:
        return []


UNBORN = ".unborn-"


def give_birth(layout: Layout, container_id: str, name: str, record: dict[str, Any]) -> None:
    """Make a container's directory holding its first record, as one rename.

    A directory without a record is found by nothing: so it is made under a hidden
    name that carries our pid, and only renamed into place with the record in it.
    One left by a process that died (SIGKILL, a full disk) is swept by the next
    listing of the containers."""
    birth = layout.containers / f"{UNBORN}{container_id}-{os.getpid()}"
    try:
        layout.containers.mkdir(parents=True, exist_ok=True)
        topdir.mark(layout.containers)  # each container's files in a group of its own
        birth.mkdir()
        write_json(birth / name, record, make_parent=False)
        os.rename(birth, layout.container_dir(container_id))
    except BaseException:
        _remove_tree(birth)
        raise
    sync_directory(layout.containers)


def _sweep_unborn(layout: Layout, entry: str) -> None:
    """Remove ``entry`` (an unborn directory) if the process making it is gone."""
    try:
        os.kill(int(entry.rsplit("-", 1)[1]), 0)
    except (ValueError, IndexError, ProcessLookupError):
        _remove_tree(layout.containers / entry)
    except PermissionError:
        pass  # alive, another user's: not ours to judge


def container_records(layout: Layout, project: str | None = None) -> list[ContainerRecord]:
    records = []
    try:
        entries = sorted(os.listdir(layout.containers))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.startswith(UNBORN):
            _sweep_unborn(layout, entry)
            continue
        record = container_record(layout, entry)
        if record is not None and (project is None or record.project == project):
            records.append(record)
    return records


def container_record(layout: Layout, container_id: str) -> ContainerRecord | None:
    """One container's record by its id; None if it has none (any more)."""
    if not container_id or "/" in container_id or container_id.startswith("."):
        return None
    try:
        return _records.get(layout.containers / container_id / "container.json")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise StateError(f"cannot read container record {container_id}: {exc}") from None


_SETTLED_NS = 50_000_000
"""Kept once their file has settled (``common/filecache.py``): records are written
whole and renamed into place, and the supervisor reads every one at each rebuild of
its name table (40 times in an ``up`` of 20 services: 800 records decoded, a third
of its time there)."""
_records = FileCache(lambda raw: ContainerRecord.from_json(json.loads(raw)),
                     settle_ns=_SETTLED_NS)


def other_subnets(layout: Layout, project: str) -> list[IPv4Network]:
    """Subnets held by this root's other projects."""
    subnets = []
    for name in project_names(layout):
        if name != project:
            subnets += [IPv4Network(n.subnet) for n in project_networks(layout, name).values()]
    return subnets


@asynccontextmanager
async def project_lock(layout: Layout, project: str) -> AsyncIterator[None]:
    """One pycompose at a time changes a project."""
    path = layout.lock_file(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    async with file_lock(path, f"project {project} is locked by another pycompose"):
        yield


@asynccontextmanager
async def file_lock(path: os.PathLike[str], busy: str, timeout: float = 60) -> AsyncIterator[None]:
    """An exclusive flock on ``path``; StateError(``busy``) after ``timeout`` seconds."""
    # flock has no async form, and a blocked flock in an abandoned thread could
    # later lock a reused fd, so poll: contention here is rare and short.
    import trio  # here: reading records (exec's fast path) imports no event loop

    fd = try_lock(Path(path))
    with trio.move_on_after(timeout):
        while fd is None:
            await trio.sleep(0.01)
            fd = try_lock(Path(path))
    if fd is None:
        raise StateError(busy)
    try:
        yield
    finally:
        os.close(fd)


def _remove_tree(path: Path) -> None:
    import shutil  # here: commands that only read state (exec -T) start without it

    shutil.rmtree(path, ignore_errors=True)
