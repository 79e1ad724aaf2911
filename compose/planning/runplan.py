"""``run``'s one-off container, planned (pure).

A one-off container is the service with the command line's overrides, named
``<project>-<service>-run-<12 hex>``, labelled ``oneoff=True``, never restarted
and publishing no ports.  It is planned by ``plan_up`` as a service of its own
(under a name no other container has), so it gets its addresses and networks by
the same rules as every other container; the plan is then given back the real
service name and stops short of starting it: the ``run`` verb starts it, attached.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from common.records import ONEOFF, Attachment, ContainerRecord
from compose.planning.observed import ObservedState
from compose.planning.ops import CreateContainer, CreateNetwork, CreateVolume, Op, Plan
from compose.planning.plan import plan_up
from compose.spec.model import Project, Service, frozen_map

SLUG = "com.docker.compose.slug"


@dataclass(frozen=True)
class RunOverrides:
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    workdir: str | None = None
    name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    tty: bool = False
    interactive: bool = False
    use_aliases: bool = False
    """Answer to the service's name and network aliases (``--use-aliases``); by
    default a one-off is found only by its own name, as with Docker Compose."""


def run_name(project: str, service: str, slug: str) -> str:
    return f"{project}-{service}-run-{slug[:12]}"


def one_off_service(service: Service, overrides: RunOverrides, name: str) -> Service:
    """The service as the one-off container runs it."""
    canonical: dict[str, Any] = dict(service.canonical)
    command, entrypoint = service.command, service.entrypoint
    if overrides.entrypoint is not None:
        entrypoint = overrides.entrypoint
        command = overrides.command if overrides.command is not None else ()
        canonical["entrypoint"] = list(entrypoint)
        canonical["command"] = list(command)
    elif overrides.command is not None:
        command = overrides.command
        canonical["command"] = list(command)
    environment = {**service.environment, **overrides.environment}
    canonical["environment"] = dict(environment)
    labels = {**service.labels, **overrides.labels}
    canonical["labels"] = dict(labels)
    for key in ("ports", "depends_on"):
        canonical.pop(key, None)
    if canonical.get("deploy"):  # its resources still apply; a one-off is never restarted
        canonical["deploy"] = {k: v for k, v in canonical["deploy"].items()
                               if k != "restart_policy"}
    canonical.update(restart="no", container_name=name, tty=overrides.tty,
                     stdin_open=overrides.interactive)
    if overrides.user is not None:
        canonical["user"] = overrides.user
    if overrides.workdir is not None:
        canonical["working_dir"] = overrides.workdir
    return dataclasses.replace(
        service,
        command=command,
        entrypoint=entrypoint,
        environment=frozen_map(environment),
        depends_on=MappingProxyType({}),
        container_name=name,
        user=overrides.user if overrides.user is not None else service.user,
        working_dir=overrides.workdir if overrides.workdir is not None else service.working_dir,
        labels=frozen_map(labels),
        canonical=MappingProxyType(canonical),
    )


def plan_run(
    project: Project,
    service_name: str,
    overrides: RunOverrides,
    image_id: str,
    observed: ObservedState,
    *,
    slug: str,
    root_tag: str,
    new_id: Callable[[], str],
    now: float,
    runtime: str,
    image_volumes: Iterable[str] = (),
) -> tuple[Plan, ContainerRecord, Service]:
    """Networks still missing and the one-off container's creation; its record and
    the service it runs."""
    service = project.services[service_name]
    name = overrides.name or run_name(project.name, service_name, slug)
    one_off = one_off_service(service, overrides, name)
    alias = f"{service_name}-run-{slug[:12]}"  # a service name no container has
    planned = dataclasses.replace(project, services=MappingProxyType(
        {alias: dataclasses.replace(one_off, name=alias)}))
    plan = plan_up(planned, {alias: image_id}, observed, root_tag=root_tag, new_id=new_id,
                   now=now, runtime=runtime, image_volumes={alias: tuple(image_volumes)})
    record: ContainerRecord | None = None
    stages = []
    for stage in plan.stages:
        kept: list[Op] = []
        for op in stage:
            if isinstance(op, CreateNetwork | CreateVolume):
                kept.append(op)
            elif isinstance(op, CreateContainer) and op.record.service == alias:
                labels = {**op.record.labels, "com.docker.compose.service": service_name,
                          ONEOFF: "True", SLUG: slug}
                record = dataclasses.replace(
                    op.record, service=service_name, labels=labels,
                    attachments=_aliased(op.record, alias, service_name,
                                         overrides.use_aliases))
                kept.append(dataclasses.replace(op, record=record, service=one_off))
        if kept:
            stages.append(tuple(kept))
    if record is None:
        raise AssertionError("plan_up made no container for the one-off service")
    return Plan(stages=tuple(stages)), record, one_off


def _aliased(record: ContainerRecord, planned_as: str, service: str, use_aliases: bool
             ) -> tuple[Attachment, ...]:
    """The one-off's attachments: found by its name, and with ``use_aliases`` by the
    service's name and network aliases too (never by the name it was planned as)."""
    def names(attachment: Attachment) -> tuple[str, ...]:
        configured = [n for n in attachment.aliases if n not in (planned_as, record.name)]
        return (record.name, service, *configured) if use_aliases else (record.name,)
    return tuple(dataclasses.replace(a, aliases=names(a)) for a in record.attachments)
