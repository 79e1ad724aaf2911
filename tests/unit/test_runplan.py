"""compose/planning/runplan.py: the one-off container of ``run``, planned like any other."""

from __future__ import annotations

import itertools
from pathlib import Path

from common.status import ContainerStatus
from compose.planning.observed import ObservedState
from compose.planning.ops import CreateContainer, CreateNetwork
from compose.planning.plan import plan_up
from compose.planning.runplan import RunOverrides, one_off_service, plan_run
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Project

TEXT = """
services:
  web:
    image: busybox
    command: [httpd, -f]
    entrypoint: [/bin/entry]
    environment: {A: "1"}
    ports: ["8080:80"]
    depends_on: [db]
    networks:
      default: {aliases: [www]}
    restart: always
    labels: {tier: front}
    deploy:
      resources: {limits: {memory: 64m}}
      restart_policy: {condition: any}
  db:
    image: busybox
"""
SLUG = "ab" * 32


def load(tmp_path: Path) -> Project:
    (tmp_path / "compose.yaml").write_text(TEXT)
    return load_project(LoadOptions(files=("compose.yaml",), cwd=str(tmp_path), environ={},
                                    project_name="proj")).project


def ids() -> object:
    counter = itertools.count(1)
    return lambda: f"{next(counter):064x}"


def plan(project: Project, observed: ObservedState, overrides: RunOverrides | None = None):  # type: ignore[no-untyped-def]
    return plan_run(project, "web", overrides or RunOverrides(), "sha256:img", observed,
                    slug=SLUG, root_tag="t1", new_id=ids(), now=1.0,  # type: ignore[arg-type]
                    runtime="/usr/sbin/runc")


def test_one_off_service_overrides(tmp_path: Path) -> None:
    service = load(tmp_path).services["web"]
    one_off = one_off_service(service, RunOverrides(
        command=("sh",), environment={"B": "2"}, user="nobody", workdir="/tmp",
        labels={"x": "y"}, tty=True, interactive=True), "proj-web-run-abababababab")
    assert one_off.command == ("sh",) and one_off.entrypoint == ("/bin/entry",)
    assert dict(one_off.environment) == {"A": "1", "B": "2"}
    assert one_off.user == "nobody" and one_off.working_dir == "/tmp"
    assert dict(one_off.depends_on) == {}
    canonical = one_off.canonical
    assert "ports" not in canonical and "depends_on" not in canonical
    assert canonical["restart"] == "no" and canonical["tty"] is True
    assert canonical["deploy"] == {"resources": {"limits": {"memory": "67108864"}}}
    assert canonical["stdin_open"] is True
    assert canonical["labels"] == {"tier": "front", "x": "y"}
    # --entrypoint without a command drops the service's command, as docker compose does
    reset = one_off_service(service, RunOverrides(entrypoint=("echo",)), "n")
    assert reset.entrypoint == ("echo",) and reset.command == ()


def test_plan_for_a_fresh_project(tmp_path: Path) -> None:
    the_plan, record, one_off = plan(load(tmp_path), ObservedState("proj"))
    ops = the_plan.ops
    assert [type(op) for op in ops] == [CreateNetwork, CreateContainer]  # never started here
    assert record.name == "proj-web-run-abababababab"
    assert record.service == "web" and record.number == 1
    assert record.labels["com.docker.compose.oneoff"] == "True"
    assert record.labels["com.docker.compose.slug"] == SLUG
    assert record.labels["com.docker.compose.service"] == "web"
    assert ops[1].service is one_off and ops[1].record is record  # type: ignore[union-attr]


def test_one_off_beside_the_running_service(tmp_path: Path) -> None:
    project = load(tmp_path)
    first = plan_up(project, {"web": "sha256:img", "db": "sha256:img"}, ObservedState("proj"),
                    root_tag="t1", new_id=ids(), now=0.0,  # type: ignore[arg-type]
                    runtime="/usr/sbin/runc")
    networks = {op.network.key: op.network for op in first.ops if isinstance(op, CreateNetwork)}
    running = tuple(ContainerStatus(op.record, "running") for op in first.ops
                    if isinstance(op, CreateContainer))
    observed = ObservedState("proj", networks=networks, containers=running)
    the_plan, record, _ = plan(project, observed, RunOverrides(name="custom"))
    assert [type(op) for op in the_plan.ops] == [CreateContainer]  # the network exists
    assert record.name == "custom"
    taken = {a.address for s in running for a in s.record.attachments}
    assert record.attachments and not {a.address for a in record.attachments} & taken


def test_one_off_is_found_by_its_name_and_with_use_aliases_by_the_services(
        tmp_path: Path) -> None:
    """Docker Compose gives a ``run`` container the service's name and aliases only
    with ``--use-aliases``: by default it is no extra replica of the service."""
    project = load(tmp_path)
    _, record, _ = plan(project, ObservedState("proj"))
    assert [a.aliases for a in record.attachments] == [(record.name,)]
    _, record, _ = plan(project, ObservedState("proj"), RunOverrides(use_aliases=True))
    assert [a.aliases for a in record.attachments] == [(record.name, "web", "www")]
