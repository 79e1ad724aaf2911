"""Reconcile what the project asks for with what is there, into a plan (pure).

A plan is a sequence of stages of operations (compose/planning/ops.py); the
records of the containers it creates are made in compose/planning/records.py.
Nothing here awaits or touches the system, so plans are tested as rendered text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from common.errors import UsageError
from common.records import ContainerRecord, NetworkRecord, VolumeRecord
from common.status import RUNNING, ContainerStatus
from compose.planning import netplan, rollout
from compose.planning.netconfig import service_networking
from compose.planning.netplan import hosts_files, plan_networks
from compose.planning.observed import ObservedState
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
# Hooks are hashed through ``canonical`` (as they always were): their typed copy
# would change every container's hash, and recreate it, for nothing.
_NOT_HASHED = {"depends_on", "post_start", "pre_stop"}
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


@dataclass(frozen=True)
class _Asked:
    """What ``plan_up`` was asked for that decides each replica's fate."""

    image_ids: Mapping[str, str]
    scale: Mapping[str, int] | None
    recreate: Mapping[str, str]
    start: bool
    renew_anonymous: bool
    new_id: Callable[[], str]
    renewed_networks: frozenset[str] = frozenset()
    """Networks made again: every container on them is made again too."""
    renewed_volumes: frozenset[str] = frozenset()
    """Volumes made again: every container mounting them is made again too."""


@dataclass
class _Draft:
    """What ``plan_up``'s phases have decided so far, in the order they decided it
    (the plan's operations keep that order)."""

    warnings: list[str] = field(default_factory=list)
    volumes: list[CreateVolume] = field(default_factory=list)
    creates: list[NewContainer] = field(default_factory=list)
    removals: list[ContainerRecord] = field(default_factory=list)
    starts: dict[str, list[ContainerRecord]] = field(default_factory=dict)
    kept: list[ContainerRecord] = field(default_factory=list)
    """Left as they are: running with the same configuration."""
    along: list[ContainerRecord] = field(default_factory=list)
    """Kept running, but restarted with a recreated dependency."""
    replicas_of: dict[str, list[ContainerRecord | NewContainer]] = field(default_factory=dict)
    final: dict[str, ContainerRecord | NewContainer] = field(default_factory=dict)
    """Each service's first replica, the one ``network_mode: service:`` joins."""
    rolling: dict[str, list[tuple[ContainerRecord, NewContainer]]] = field(
        default_factory=dict)
    made: dict[str, ContainerRecord] = field(default_factory=dict)
    """The new containers' records, by container id."""

    @property
    def removed(self) -> set[str]:
        """The containers being removed: their addresses can be given again."""
        return {r.id for r in self.removals}

    @property
    def rolled(self) -> set[str]:
        """The new containers a rolling update starts (not a start stage)."""
        return {create.container_id for pairs in self.rolling.values() for _, create in pairs}


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
    recreate_volumes: bool = True,
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
    instead of their predecessors'.  ``recreate_volumes``: volumes whose driver
    options or labels changed are made again (with the containers mounting them),
    else kept with a warning.
    """
    renewed = netplan.diverged_networks(project, observed)
    networks = plan_networks(project, observed, root_tag, renewed)
    draft = _Draft()
    _check_files(project)
    draft.volumes = _declared_volumes(project, observed, now, draft.warnings, recreate_volumes)
    renewed_volumes = frozenset(diverged_volumes(project, observed)) if recreate_volumes \
        else frozenset()
    deps = graph.dependencies(project)
    asked = _Asked(image_ids, scale, recreate or {}, start, renew_anonymous, new_id, renewed,
                   renewed_volumes)
    for name in graph.start_order(deps):
        _choose_replicas(draft, name, project.services[name], observed, asked)
    if start:
        _restart_along(draft, project)
    _orphans(draft, observed, project.services if known_services is None else known_services,
             remove_orphans)
    _make_records(draft, RecordMaker(
        project, networks, _leases(networks, observed, draft.removed), now, runtime,
        observed, draft.final, image_volumes or {}, new_id))
    _anonymous_volumes(draft, observed, project.name, now)
    return _up_stages(draft, project, observed, networks, deps, start, renewed,
                      renewed_volumes)


def _choose_replicas(draft: _Draft, name: str, service: Service, observed: ObservedState,
                     asked: _Asked) -> None:
    """Each replica number's container: the existing one kept (or started), else a new
    one that replaces it, by a rolling update when the service asks for one."""
    wanted = replicas(service, asked.scale)
    if wanted > 1 and service.container_name:
        raise UsageError(f"services.{name}: container_name {service.container_name!r} "
                         f"cannot be shared by {wanted} replicas: it must be unique")
    namespace = _namespace_of(service, draft.final, observed)
    wanted_hash = config_hash(service, asked.image_ids[name], namespace)
    by_number = _numbered(draft, observed, name, wanted)
    on_renewed = bool(set(service.networks) & asked.renewed_networks) or any(
        set(s.record.volumes.values()) & asked.renewed_volumes
        for s in observed.of_service(name))
    policy = RECREATE_FORCE if on_renewed else asked.recreate.get(name, RECREATE_DIVERGED)
    chosen = draft.replicas_of.setdefault(name, [])
    for number in range(1, wanted + 1):
        current = by_number.get(number)
        if current is not None and _stays(current.record, wanted_hash, policy):
            chosen.append(current.record)
            if current.state == RUNNING:
                draft.kept.append(current.record)
            else:
                draft.starts.setdefault(name, []).append(current.record)
            continue
        create = NewContainer(service, asked.new_id(), wanted_hash, asked.image_ids[name],
                              namespace, current.record if current is not None
                              and not asked.renew_anonymous else None, number)
        if current is not None and current.state == RUNNING and asked.start and \
                not on_renewed and rollout.rolls(service.canonical, wanted):
            draft.rolling.setdefault(name, []).append((current.record, create))
        elif current is not None:
            draft.removals.append(current.record)
        chosen.append(create)
        draft.creates.append(create)
    if chosen:
        draft.final[name] = chosen[0]


def _stays(record: ContainerRecord, wanted_hash: str, policy: str) -> bool:
    """An existing replica is kept when it is never to be recreated, or when its
    configuration has not changed and no recreation is forced."""
    return policy == RECREATE_NEVER or (record.config_hash == wanted_hash
                                        and policy != RECREATE_FORCE)


def _numbered(draft: _Draft, observed: ObservedState, name: str,
              wanted: int) -> dict[int, ContainerStatus]:
    """The service's containers by replica number; one beyond the scale, or a
    duplicate number, is removed."""
    by_number: dict[int, ContainerStatus] = {}
    for status in observed.of_service(name):
        if status.record.number in by_number or status.record.number > wanted:
            draft.removals.append(status.record)
        else:
            by_number[status.record.number] = status
    return by_number


def _restart_along(draft: _Draft, project: Project) -> None:
    """``depends_on`` with ``restart: true``: a dependent kept running is restarted
    when its dependency is recreated (stopped first, started after it)."""
    recreated = {c.service.name for c in draft.creates}
    draft.along = [r for r in draft.kept if any(
        dep.restart and name in recreated
        for name, dep in project.services[r.service].depends_on.items())]
    for record in draft.along:
        draft.kept.remove(record)
        draft.starts.setdefault(record.service, []).append(record)


def _orphans(draft: _Draft, observed: ObservedState, known: Collection[str],
             remove_orphans: bool) -> None:
    """Containers of services the file no longer has: removed if asked, else named
    in a warning, as docker compose does."""
    orphans = [c for c in observed.containers if c.record.service not in known]
    if orphans and remove_orphans:
        draft.removals.extend(o.record for o in orphans)
    elif orphans:
        listed = ", ".join(sorted(o.record.name for o in orphans))
        draft.warnings.append(
            f"Found orphan containers ({listed}) for this project. If you removed or renamed "
            "this service in your compose file, you can run this command with the "
            "--remove-orphans flag to clean it up."
        )


def _leases(networks: Mapping[str, NetworkRecord], observed: ObservedState,
            removed: Collection[str]) -> netplan.Leases:
    """The addresses already taken, so new containers get free ones; those of the
    containers being removed can be given again."""
    leases = netplan.Leases(networks)
    for status in observed.containers:
        leases.note(status.record, staying=status.record.id not in removed)
    for record in observed.surroundings.containers:
        leases.note(record, staying=True)
    return leases


def _make_records(draft: _Draft, maker: RecordMaker) -> None:
    """The new containers' records (static addresses claimed before any is given
    out), and the start of those no rolling update starts."""
    static = {c.container_id: netplan.static_addresses(
        name_of(maker.project, c.service, c.number), c.service, maker.networks, maker.leases)
        for c in draft.creates}
    rolled = draft.rolled
    for create in draft.creates:
        record = maker.record(create, static[create.container_id], draft.made)
        draft.made[create.container_id] = record
        if create.container_id not in rolled:
            draft.starts.setdefault(create.service.name, []).append(record)
    for starting in draft.starts.values():
        starting.sort(key=lambda r: r.number)


def _anonymous_volumes(draft: _Draft, observed: ObservedState, project: str,
                       now: float) -> None:
    """The new containers' anonymous volumes that do not exist yet."""
    known_volumes = set(observed.volumes) | {v.volume.name for v in draft.volumes}
    for record in draft.made.values():
        for name in record.anonymous_volumes:
            if name not in known_volumes:
                known_volumes.add(name)
                draft.volumes.append(CreateVolume(anonymous_volume(name, now, project)))


def _up_stages(draft: _Draft, project: Project, observed: ObservedState,
               networks: Mapping[str, NetworkRecord], deps: Mapping[str, Sequence[str]],
               start: bool, renewed: frozenset[str], renewed_volumes: frozenset[str],
               ) -> Plan:
    """The decisions as stages: stop and remove, remove diverged networks, make
    volumes, make networks and create (a shared namespace before who joins it),
    rewrite hosts files, then start."""
    finals = [draft.made[c.container_id] if isinstance(c, NewContainer) else c
              for chosen in draft.replicas_of.values() for c in chosen]
    stopping = [r for r in draft.removals if _is_running(observed, r)]
    hosts = _hosts(draft, finals, observed, networks)
    rolled = draft.rolled
    created = [draft.made[c.container_id] for c in draft.creates
               if c.container_id not in rolled]
    created_ids = {r.id for r in created} | rolled
    rewrites = tuple((r, hosts[r.id]) for r in finals if r.id not in created_ids)
    joining = {r.id for r in created if r.network.mode.startswith("container:")}
    return Plan(
        stages=_stages(
            (StopContainer(r) for r in draft.along),  # dependents first
            (StopContainer(r) for r in stopping),
            _removals(draft.removals, [observed.networks[k] for k in renewed], observed),
            [*(RemoveNetwork(observed.networks[k]) for k in sorted(renewed)),
             *(RemoveVolume(observed.volumes[n]) for n in sorted(renewed_volumes))],
            draft.volumes,  # before the containers that mount them
            # networks beside the containers: a container is connected when it starts
            [*_new_networks(project, observed, networks, renewed),
             *(CreateContainer(r, project.services[r.service], hosts[r.id])
               for r in created if r.id not in joining)],
            # a shared namespace must exist before the container that joins it
            (CreateContainer(r, project.services[r.service], hosts[r.id])
             for r in created if r.id in joining),
            [WriteHosts(rewrites)] if draft.creates and rewrites else [],
            *(_start_stages(draft, project, deps, hosts) if start else []),
        ),
        warnings=tuple(draft.warnings),
        kept=tuple(draft.kept),
    )


def _new_networks(project: Project, observed: ObservedState,
                  networks: Mapping[str, NetworkRecord],
                  renewed: frozenset[str]) -> list[CreateNetwork]:
    """The project's networks that are missing or made again (external ones are
    never made)."""
    return [CreateNetwork(n) for k, n in networks.items()
            if not _external(project, k) and (
                k not in observed.networks or k in observed.absent_networks or k in renewed)]


def _hosts(draft: _Draft, finals: Iterable[ContainerRecord], observed: ObservedState,
           networks: Mapping[str, NetworkRecord]) -> dict[str, str]:
    """``/etc/hosts`` of every container the project ends up with, by container id:
    its peers include the containers that stay and those of other projects."""
    final_ids = {r.id for r in finals}
    removed = draft.removed
    others = [c.record for c in observed.containers
              if c.record.id not in final_ids and c.record.id not in removed]
    return hosts_files(finals, networks, [*others, *observed.surroundings.containers])


def _start_stages(draft: _Draft, project: Project, deps: Mapping[str, Sequence[str]],
                  hosts: Mapping[str, str]) -> list[list[Op]]:
    """Starts and rolling updates, dependencies first: one stage per level."""
    return [
        [*(StartContainer(r) for name in level for r in draft.starts.get(name, [])),
         *(ReplaceContainers(
             project.services[name],
             tuple((old, draft.made[new.container_id]) for old, new in draft.rolling[name]),
             tuple(hosts[new.container_id] for _, new in draft.rolling[name]),
             rollout.UpdateConfig.of(project.services[name].canonical))
           for name in level if name in draft.rolling)]
        for level in graph.levels(deps)
    ]


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


def _volume_diverged(existing: VolumeRecord, wanted: VolumeRecord) -> bool:
    """A volume made from other driver options or labels than the file's now (the
    labels pycompose adds itself left out: older records may lack some)."""

    def own(labels: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in labels.items() if not k.startswith("com.docker.compose.")}

    return (existing.driver, existing.options, own(existing.labels)) != \
        (wanted.driver, wanted.options, own(wanted.labels))


def diverged_volumes(project: Project, observed: ObservedState, now: float = 0.0) -> list[str]:
    """Names of the project's volumes whose configuration changed: Docker Compose
    asks before making them again (their data is lost)."""
    found = []
    for volume in project.volumes.values():
        existing = observed.volumes.get(volume.name)
        if volume.external or existing is None or existing.project != project.name:
            continue
        try:
            if _volume_diverged(existing, project_volume(project.name, volume, now)):
                found.append(volume.name)
        except DriverError:
            continue  # plan_up says why
    return found


def _declared_volumes(project: Project, observed: ObservedState, now: float,
                      warnings: list[str], renew: bool) -> list[CreateVolume]:
    """The project's volumes that are missing (or diverged, with ``renew``);
    external ones must exist."""
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
        elif existing.project == project.name and _volume_diverged(existing, record):
            if renew:
                made.append(CreateVolume(record))  # after RemoveVolume(existing)
            else:
                warnings.append(f"volume \"{volume.name}\" exists but doesn't match the "
                                "configuration in the compose file: kept as it is")
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
        _removals([c.record for c in observed.containers], removable, observed),
        [*(RemoveNetwork(n) for n in removable), *(RemoveVolume(v) for v in volumes)],
    ), warnings=tuple(warnings))


def _removals(removed: Sequence[ContainerRecord], networks: Iterable[NetworkRecord],
              observed: ObservedState) -> list[RemoveContainer]:
    """Each removal, the first container on a leaving network carrying its bridge:
    deleted with that container's links, it costs one wait on the kernel's RCU
    grace periods instead of two in a row.  Only a bridge that no container left
    behind (of this project or another) is attached to."""
    gone = {r.id for r in removed}
    staying = {a.bridge for r in (*(s.record for s in observed.containers),
                                  *observed.surroundings.containers)
               if r.id not in gone for a in r.attachments}
    leaving = {n.bridge for n in networks} - staying
    ops = []
    for record in removed:
        carried = tuple(sorted(leaving.intersection(a.bridge for a in record.attachments)))
        leaving -= set(carried)
        ops.append(RemoveContainer(record, carried))
    return ops


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
