"""The OCI spec builder over generated valid projects (tests/strategies.py): each
container the planner makes becomes a ``config.json`` as the container driver
builds it (its storage through ``plan_mounts``, then ``decide`` and
``build_spec``), raising nothing but ``SpecError``; its capabilities are Docker's
default set changed only as ``cap_add``, ``cap_drop`` and ``privileged`` say (by
moby's rules, written again here), within the host's bounding set; it is JSON,
its mounts are absolute and distinct, its namespaces the expected ones.

Derandomized so a red run is a regression, not a new draw;
PYCOMPOSE_FUZZ_EXAMPLES=2000 runs more.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from common.records import ContainerRecord
from compose.planning import ops
from compose.planning.observed import ObservedState
from compose.spec.model import Project, Service
from runtime.ocispec.capabilities import ALL_CAPABILITIES, DEFAULT_CAPABILITIES, mask_of
from runtime.ocispec.host import DeviceNode, HostFacts
from runtime.ocispec.servicespec import Gathered, decide
from runtime.ocispec.spec import SpecError, build_spec
from tests.strategies import EXAMPLES, PROJECT, projects
from tests.unit.test_plan_properties import loaded, up
from tests.unit.test_servicespec import DEVICES, GROUP, HOST, IMAGE, NGINX, PASSWD
from volumes.mounts import oci_only, plan_mounts

FUZZ = settings(max_examples=EXAMPLES or 200, deadline=None, derandomize=True,
                database=None, suppress_health_check=[HealthCheck.too_slow])
# A host that holds every capability, and the test host of the golden tests (no
# CAP_SYS_RESOURCE), both with cgroup v1 and v2.
HOSTS = (HostFacts(arch="amd64", kernel=(6, 1), bounding=(1 << 41) - 1, cgroup2=True,
                   init="/usr/bin/tini-static", cpus=4, hard_limits=HOST.hard_limits), HOST)
IMAGES = {"busybox": IMAGE, "nginx:1.27": NGINX}
NAMESPACES = {"pid", "ipc", "uts", "mount", "network"}


def expected_capabilities(raw: Mapping[str, Any], available: Iterable[str]) -> set[str]:
    """moby's TweakCapabilities, then what the host can grant."""
    def names(key: str) -> set[str]:
        found = set()
        for entry in raw.get(key) or ():
            name = str(entry).upper()
            found.add(name if name == "ALL" or name.startswith("CAP_") else f"CAP_{name}")
        return found

    host = set(available)
    adds, drops = names("cap_add"), names("cap_drop")
    if raw.get("privileged") or "ALL" in adds:
        wanted = set(ALL_CAPABILITIES) - (set() if raw.get("privileged") else drops)
    elif "ALL" in drops:
        wanted = adds
    else:
        wanted = (set(DEFAULT_CAPABILITIES) - drops) | adds
    return wanted & host


def gathered(record: ContainerRecord, service: Service, volumes: Mapping[str, Any],
             host: HostFacts) -> Gathered:
    """As runtime/oci/containers.py gathers it, the host's files replaced by fixed paths."""
    directory = f"/state/containers/{record.id}"
    files = {g.target: f"{directory}/files/{index}" for index, g in enumerate(service.files)}
    storage = plan_mounts(service, record.volumes,
                          {name: f"/state/volumes/{name}/_data" for name in volumes},
                          {name: volume.options for name, volume in volumes.items()},
                          files=files)
    ipc = str(service.canonical.get("ipc") or "")
    return Gathered(
        container_id=record.id, hostname=record.hostname, rootfs=f"{directory}/rootfs",
        host=host, netns=f"/run/pycompose/netns/{record.id}",
        files={"/etc/hosts": f"{directory}/hosts", "/etc/hostname": f"{directory}/hostname",
               "/etc/resolv.conf": f"{directory}/resolv.conf"},
        passwd=PASSWD, group=GROUP, devices=DEVICES,
        host_devices=(DeviceNode("/dev/null", "c", 1, 3, 0o666, 0, 0),)
        if service.canonical.get("privileged") else (),
        shm_source={"shareable": f"{directory}/shm", "host": "/dev/shm"}.get(ipc),
        labels=dict(record.labels), mounts=tuple(oci_only(storage.mounts)))


def check_config(config: dict[str, Any], service: Service, host: HostFacts,
                 netns: str | None) -> None:
    """What every config.json must say, whatever the service asked for."""
    raw = service.canonical
    json.loads(json.dumps(config, allow_nan=False))
    process = config["process"]
    caps = process["capabilities"]
    assert caps["bounding"] == caps["effective"] == caps["permitted"]
    assert len(set(caps["bounding"])) == len(caps["bounding"])
    assert set(caps["bounding"]) == expected_capabilities(raw, _names(host.bounding))
    assert process["args"] and posixpath.isabs(process["cwd"])
    destinations = [m["destination"] for m in config["mounts"]]
    assert all(posixpath.isabs(d) for d in destinations), destinations
    assert len(set(destinations)) == len(destinations), destinations
    namespaces = {n["type"]: n.get("path") for n in config["linux"]["namespaces"]}
    shared = {kind for kind in ("pid", "ipc", "uts") if raw.get(kind) == "host"}
    assert set(namespaces) - {"cgroup"} == NAMESPACES - shared
    assert namespaces["network"] == netns
    assert ("cgroup" in namespaces) == (raw.get("cgroup") == "private"
                                        or (host.cgroup2 and raw.get("cgroup") != "host"))
    assert config["root"]["readonly"] == bool(raw.get("read_only"))
    confined = not raw.get("privileged") and "seccomp=unconfined" not in (
        raw.get("security_opt") or ())
    assert ("seccomp" in config["linux"]) == confined
    environment = set(process["env"])
    assert all(f"{k}={v}" in environment for k, v in service.environment.items()
               if k != "PATH" or v)


def _names(mask: int) -> list[str]:
    return [name for name in ALL_CAPABILITIES if mask & mask_of([name])]


@FUZZ
@given(data=projects(), host=st.sampled_from(HOSTS))
def test_every_container_gets_a_sound_config(data: dict[str, Any], host: HostFacts) -> None:
    project = loaded(data)
    plan = up(project, ObservedState(PROJECT))
    volumes = {op.volume.name: op.volume for op in plan.ops
               if isinstance(op, ops.CreateVolume)}
    for op in plan.ops:
        if isinstance(op, ops.CreateContainer):
            build(project, op.record, volumes, host)


def build(project: Project, record: ContainerRecord, volumes: Mapping[str, Any],
          host: HostFacts) -> None:
    service = project.services[record.service]
    g = gathered(record, service, volumes, host)
    try:
        decided = decide(service, IMAGES[service.image], g)
    except SpecError as exc:  # a user error, said as the driver says it
        event(f"SpecError: {str(exc).split(':')[0]}")
        return
    event("config built")
    check_config(build_spec(decided.spec), service, host, g.netns)
