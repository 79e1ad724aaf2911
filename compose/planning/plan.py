"""Reconcile what the project asks for with what is there, into a plan (pure).

A plan is a sequence of stages of operations (compose/planning/ops.py); the
records of the containers it creates are made in compose/planning/records.py.
Nothing here awaits or touches the system, so plans are tested as rendered text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from common.errors import UsageError
from common.records import ContainerRecord, VolumeRecord
from compose.planning import netplan, rollout
from compose.planning.netconfig import service_networking
from compose.planning.netplan import hosts_files, plan_networks
from compose.planning.observed import RUNNING, ContainerStatus, ObservedState
from compose.planning.ops import (
    CreateContainer,
    CreateNetwork,
    CreateVolume,
    Op,
    Plan,
    RemoveContainer,
    RemoveNetwork,
    RemoveVolume,
    ReplaceContainers,
    StartContainer,
    StopContainer,
    WriteHosts,
)
from compose.planning.records import NewContainer, RecordMaker, name_of
from compose.spec import graph
from compose.spec.model import Project, Service
from volumes.local import DriverError, anonymous_volume, project_volume

# Keys that do not change the container itself (docker compose's hash.go).
_NOT_HASHED = {"depends_on"}
# Storage fields join the hash only when set, so containers made before they existed
# are not recreated for nothing.
_HASHED_IF_SET = {"mounts", "volumes_from", "files"}


def config_hash(service: Service, image_id: str, namespace: str = "") -> str:
    """Changes when the container would be made differently: recreate it then.
    ``namespace`` is the container whose network namespace it joins: when that
    one is recreated, so is this one."""
    data = {f.name: getattr(service, f.name) for f in fields(service)
            if f.name not in _NOT_HASHED
            and not (f.name in _HASHED_IF_SET and not getattr(service, f.name))}
    data["canonical"] = _without_replicas(service.canonical)
    data["image_id"] = image_id
    if namespace.startswith("container:"):
        data["network_namespace"] = namespace
    text = json.dumps(data, sort_keys=True, default=_jsonable)
    return hashlib.sha256(text.encode()).hexdigest()


def _without_replicas(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """How many containers a service has is no reason to recreate them (docker
    compose leaves ``scale`` and ``deploy.replicas`` out of its hash too)."""
    data = {k: v for k, v in canonical.items() if k != "scale"}
    deploy = data.get("deploy")
    if isinstance(deploy, Mapping) and "replicas" in deploy:
        rest = {k: v for k, v in deploy.items() if k != "replicas"}
        if rest:
            data["deploy"] = rest
        else:
            del data["deploy"]
    return data


def replicas(service: Service, scale: Mapping[str, int] | None = None) -> int:
    """How many containers the service wants: ``--scale``, else ``scale`` or
    ``deploy.replicas``, else one."""
    if scale and service.name in scale:
        return scale[service.name]
    canonical = service.canonical
    value = canonical.get("scale")
    if value is None:
        value = (canonical.get("deploy") or {}).get("replicas")
    return 1 if value is None else int(value)


def _jsonable(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    raise TypeError(f"cannot hash {type(value).__name__}")


def _stages(*groups: Iterable[Op]) -> tuple[tuple[Op, ...], ...]:
    return tuple(stage for stage in (tuple(g) for g in groups) if stage)


RECREATE_DIVERGED, RECREATE_FORCE, RECREATE_NEVER = "diverged", "force", "never"


def plan_up(
    project: Project,
    image_ids: Mapping[str, str],
    observed: ObservedState,
    *,
    root_tag: str,
    new_id: Callable[[], str],
    now: float,
    runtime: str,
    remove_orphans: bool = False,
    recreate: Mapping[str, str] | None = None,
    start: bool = True,
    known_services: Collection[str] | None = None,
    image_volumes: Mapping[str, Iterable[str]] | None = None,
    scale: Mapping[str, int] | None = None,
    renew_anonymous: bool = False,
) -> Plan:
    """Create what is missing, recreate what changed, start what is stopped.

    ``recreate`` says, per service, when an existing container is replaced:
    ``diverged`` (the default: its configuration changed), ``force`` (always) or
    ``never`` (``--no-recreate``).  ``start=False`` only creates (``--no-start``).
    ``known_services``: every service of the file, when ``project`` is narrowed to
    some, so that the others' containers are not taken for orphans.
    ``image_volumes``: each service's image ``VOLUME`` paths (anonymous volumes).
    ``scale``: replicas per service (``--scale``) over the file's.
    ``renew_anonymous`` (``up -V``): recreated containers get new anonymous volumes
    instead of their predecessors'.
    """
    networks = plan_networks(project, observed, root_tag)
    warnings: list[str] = []
    _check_files(project)
    new_volumes = _declared_volumes(project, observed, now, warnings)
    deps = graph.dependencies(project)

    creates: list[NewContainer] = []
    removals: list[ContainerRecord] = []
    starts: dict[str, list[ContainerRecord]] = {}
    final: dict[str, ContainerRecord | NewContainer] = {}
    kept: list[ContainerRecord] = []
    replicas_of: dict[str, list[ContainerRecord | NewContainer]] = {}
    rolling: dict[str, list[tuple[ContainerRecord, NewContainer]]] = {}
    for service_name in graph.start_order(deps):
        service = project.services[service_name]
        wanted = replicas(service, scale)
        if wanted > 1 and service.container_name:
            raise UsageError(f"services.{service_name}: container_name "
                             f"{service.container_name!r} cannot be shared by {wanted} "
                             "replicas: it must be unique")
        namespace = _namespace_of(service, final, observed)
        wanted_hash = config_hash(service, image_ids[service_name], namespace)
        by_number: dict[int, ContainerStatus] = {}
        for status in observed.of_service(service_name):
            if status.record.number in by_number or status.record.number > wanted:
                removals.append(status.record)  # beyond the scale, or a duplicate
            else:
                by_number[status.record.number] = status
        policy = (recreate or {}).get(service_name, RECREATE_DIVERGED)
        chosen = replicas_of.setdefault(service_name, [])
        for number in range(1, wanted + 1):
            current = by_number.get(number)
            same = current is not None and current.record.config_hash == wanted_hash
            if current is not None and (policy == RECREATE_NEVER
                                        or (same and policy != RECREATE_FORCE)):
                chosen.append(current.record)
                if current.state == RUNNING:
                    kept.append(current.record)
                else:
                    starts.setdefault(service_name, []).append(current.record)
                continue
            create = NewContainer(service, new_id(), wanted_hash, image_ids[service_name],
                                  namespace, current.record if current is not None
                                  and not renew_anonymous else None, number)
            if current is not None and current.state == RUNNING and start and \
                    rollout.rolls(service.canonical, wanted):
                rolling.setdefault(service_name, []).append((current.record, create))
            elif current is not None:
                removals.append(current.record)
            chosen.append(create)
            creates.append(create)
        if chosen:
            final[service_name] = chosen[0]

    # depends_on with restart: true: a dependent kept running is restarted when its
    # dependency is recreated (stopped first, started after it)
    recreated = {c.service.name for c in creates}
    along = [r for r in kept if any(
        dep.restart and name in recreated
        for name, dep in project.services[r.service].depends_on.items())] if start else []
    for record in along:
        kept.remove(record)
        starts.setdefault(record.service, []).append(record)

    known = project.services if known_services is None else known_services
    orphans = [c for c in observed.containers if c.record.service not in known]
    if orphans and remove_orphans:
        removals.extend(o.record for o in orphans)
    elif orphans:
        listed = ", ".join(sorted(o.record.name for o in orphans))
        warnings.append(
            f"Found orphan containers ({listed}) for this project. If you removed or renamed "
            "this service in your compose file, you can run this command with the "
            "--remove-orphans flag to clean it up."
        )

    removed = {r.id for r in removals}
    leases = netplan.Leases(networks)
    for status in observed.containers:
        leases.note(status.record, staying=status.record.id not in removed)
    for record in observed.surroundings.containers:
        leases.note(record, staying=True)
    context = RecordMaker(project, networks, leases, now, runtime, observed, final,
                          image_volumes or {}, new_id)
    static = {c.container_id: netplan.static_addresses(
        name_of(project, c.service, c.number), c.service, networks, leases) for c in creates}
    made: dict[str, ContainerRecord] = {}  # by container id
    rolled = {create.container_id for pairs in rolling.values() for _, create in pairs}
    for create in creates:
        record = context.record(create, static[create.container_id], made)
        made[create.container_id] = record
        if create.container_id not in rolled:
            starts.setdefault(create.service.name, []).append(record)
    for starting in starts.values():
        starting.sort(key=lambda r: r.number)
    known_volumes = set(observed.volumes) | {v.volume.name for v in new_volumes}
    for record in made.values():
        for name in record.anonymous_volumes:
            if name not in known_volumes:
                known_volumes.add(name)
                new_volumes.append(CreateVolume(anonymous_volume(name, now, project.name)))
    finals = [made[c.container_id] if isinstance(c, NewContainer) else c
              for chosen in replicas_of.values() for c in chosen]

    stopping = [r for r in removals if _is_running(observed, r)]
    new_networks = [
        CreateNetwork(n) for k, n in networks.items()
        if not _external(project, k) and (
            k not in observed.networks or k in observed.absent_networks)
    ]
    final_ids = {r.id for r in finals}
    others = [c.record for c in observed.containers
              if c.record.id not in final_ids and c.record.id not in removed]
    hosts = hosts_files(finals, networks, [*others, *observed.surroundings.containers])
    created = [made[c.container_id] for c in creates if c.container_id not in rolled]
    created_ids = {r.id for r in created} | rolled
    rewrites = tuple((r, hosts[r.id]) for r in finals if r.id not in created_ids)
    joining = {r.id for r in created if r.network.mode.startswith("container:")}
    start_stages: list[list[Op]] = [
        [*(StartContainer(r) for name in level for r in starts.get(name, [])),
         *(ReplaceContainers(
             project.services[name],
             tuple((old, made[new.container_id]) for old, new in rolling[name]),
             tuple(hosts[new.container_id] for _, new in rolling[name]),
             rollout.UpdateConfig.of(project.services[name].canonical))
           for name in level if name in rolling)]
        for level in graph.levels(deps)
    ] if start else []
    return Plan(
        stages=_stages(
            (StopContainer(r) for r in along),  # dependents first
            (StopContainer(r) for r in stopping),
            (RemoveContainer(r) for r in removals),
            [*new_networks, *new_volumes],
            (CreateContainer(r, project.services[r.service], hosts[r.id])
             for r in created if r.id not in joining),
            # a shared namespace must exist before the container that joins it
            (CreateContainer(r, project.services[r.service], hosts[r.id])
             for r in created if r.id in joining),
            [WriteHosts(rewrites)] if creates and rewrites else [],
            *start_stages,
        ),
        warnings=tuple(warnings),
        kept=tuple(kept),
    )


def _check_files(project: Project) -> None:
    """Secrets and configs that cannot be granted, refused before anything is made."""
    for service in project.services.values():
        for grant in service.files:
            where = f"services.{service.name}.{grant.kind}s: {grant.kind}s.{grant.key}"
            if grant.external:
                raise UsageError(f"{where}: external {grant.kind}s are not supported on a "
                                 "single host")
            if grant.file is None and grant.content is None:
                variable = grant.environment
                raise UsageError(f"{where}: environment variable {variable} is not set"
                                 if variable else f"{where}: no file, environment or content")


def _declared_volumes(project: Project, observed: ObservedState, now: float,
                      warnings: list[str]) -> list[CreateVolume]:
    """The project's volumes that are missing; external ones must exist."""
    made = []
    for key, volume in project.volumes.items():
        existing = observed.volumes.get(volume.name)
        if volume.external:
            if existing is None:
                raise UsageError(f"volumes.{key}: external volume \"{volume.name}\" not found")
            continue
        try:
            record = project_volume(project.name, volume, now)
        except DriverError as exc:
            raise UsageError(str(exc)) from None
        if existing is None:
            made.append(CreateVolume(record))
        elif existing.project != project.name:
            owner = (f"was created for project \"{existing.project}\" (expected "
                     f"\"{project.name}\")" if existing.project
                     else "was not created by pycompose")
            warnings.append(f"volume \"{volume.name}\" already exists but {owner}. Use "
                            "`external: true` to use an existing volume")
    return made


def _external(project: Project, key: str) -> bool:
    network = project.networks.get(key)
    return network is not None and network.external


def _namespace_of(service: Service, final: Mapping[str, ContainerRecord | NewContainer],
                  observed: ObservedState) -> str:
    """The network mode as recorded: another container's namespace by its id."""
    networking = service_networking(service.canonical)
    shared = networking.shared_with
    if shared is None:
        return networking.mode
    kind, name = shared
    if kind == "service":
        target = final.get(name)
        if target is None:
            raise UsageError(f"service {service.name}: network_mode service:{name} names no "
                             "service that is being started")
        target_id = target.container_id if isinstance(target, NewContainer) else target.id
        return f"container:{target_id}"
    for record in (*(c.record for c in observed.containers), *observed.surroundings.containers):
        if record.name == name:
            return f"container:{record.id}"
    raise UsageError(f"service {service.name}: network_mode container:{name}: no such container")


def _is_running(observed: ObservedState, record: ContainerRecord) -> bool:
    return any(c.record.id == record.id and c.running for c in observed.containers)


def recorded_dependencies(record: ContainerRecord) -> tuple[str, ...]:
    """The services a container's service depended on when it was created."""
    label = record.labels.get("com.docker.compose.depends_on", "")
    return tuple(entry.split(":", 1)[0] for entry in label.split(",") if entry)


def plan_down(observed: ObservedState, remove_volumes: bool = False) -> Plan:
    """Stop dependents before their dependencies, remove every container, then networks
    (and with ``remove_volumes``, the project's volumes and its containers' anonymous
    ones; never a volume the project did not make).

    The order comes from the containers' own records, so ``down`` needs no Compose file.
    """
    by_service: dict[str, list[ContainerStatus]] = {}
    for status in observed.containers:
        by_service.setdefault(status.record.service, []).append(status)
    deps = {
        service: tuple(d for c in statuses for d in recorded_dependencies(c.record)
                       if d in by_service)
        for service, statuses in by_service.items()
    }
    stop_stages = [
        [StopContainer(c.record) for name in level for c in by_service[name] if c.running]
        for level in reversed(graph.levels(deps))
    ]
    removable, warnings = [], []
    for network in observed.networks.values():
        users = sorted({r.name for r in observed.surroundings.containers
                        for a in r.attachments if a.bridge == network.bridge})
        if users:
            warnings.append(f"network {network.name} is still in use by {', '.join(users)}; "
                            "it is kept until they leave it")
        else:
            removable.append(network)
    volumes = _project_volumes(observed, warnings) if remove_volumes else []
    return Plan(stages=_stages(
        *stop_stages,
        (RemoveContainer(c.record) for c in observed.containers),
        [*(RemoveNetwork(n) for n in removable), *(RemoveVolume(v) for v in volumes)],
    ), warnings=tuple(warnings))


def _project_volumes(observed: ObservedState, warnings: list[str]) -> list[VolumeRecord]:
    """Volumes labelled with the project, and the anonymous volumes of its containers,
    unless another project's container still uses them."""
    anonymous = {n for c in observed.containers for n in c.record.anonymous_volumes}
    used = {n: r.name for r in observed.surroundings.containers for n in r.volumes.values()}
    found = []
    for name, volume in sorted(observed.volumes.items()):
        ours = volume.project == observed.project or (volume.anonymous and name in anonymous)
        if not ours:
            continue
        if name in used:
            warnings.append(f"volume {name} is in use by {used[name]}; it is kept")
            continue
        found.append(volume)
    return found
