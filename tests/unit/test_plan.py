"""compose/planning/plan.py: plans as rendered text, from hand-built projects and observations."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from ipaddress import IPv4Network
from types import MappingProxyType

import pytest

from common.errors import UsageError
from common.records import Attachment, ContainerRecord, NetworkRecord
from common.status import ContainerStatus
from compose.planning import ops, plan
from compose.planning.netplan import network_hash
from compose.planning.observed import ObservedState
from compose.spec.model import Dependency, Network, Project, Service
from network import names as ifnames

ROOT_TAG = "root"
NOW = 1_700_000_000.0
RUNTIME = "/usr/bin/runc"
IMAGE_IDS = {"db": "sha256:db", "cache": "sha256:cache", "web": "sha256:web"}
BRIDGE = "pc797f0e70ec"  # bridge_name("root", "demo_default")

HEADER = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


def ids(start: int = 1) -> Callable[[], str]:
    """Deterministic 64-hex container ids: 1111..., 2222..., ..."""
    counter = itertools.count(start)
    return lambda: (f"{next(counter):x}" * 64)[:64]


def project(**overrides: Service) -> Project:
    services = {
        "db": Service("db", "postgres"),
        "cache": Service("cache", "redis"),
        "web": Service("web", "nginx", command=("nginx", "-g", "daemon off;"),
                       depends_on=MappingProxyType({"db": Dependency(), "cache": Dependency()})),
    }
    services.update(overrides)
    return Project(
        name="demo",
        working_dir="/srv/demo",
        config_files=("/srv/demo/compose.yaml",),
        services=MappingProxyType(services),
        networks=MappingProxyType({"default": Network("default", "demo_default")}),
    )


def up(proj: Project, observed: ObservedState, new_id: Callable[[], str] | None = None,
       **kwargs: bool) -> ops.Plan:
    return plan.plan_up(proj, IMAGE_IDS, observed, root_tag=ROOT_TAG,
                        new_id=new_id or ids(), now=NOW, runtime=RUNTIME, **kwargs)


def fresh() -> tuple[ops.Plan, NetworkRecord, list[ContainerRecord]]:
    result = up(project(), ObservedState("demo"))
    network = next(op.network for op in result.ops if isinstance(op, ops.CreateNetwork))
    records = [op.record for op in result.ops if isinstance(op, ops.CreateContainer)]
    return result, network, records


def observed(network: NetworkRecord, records: list[ContainerRecord],
             states: dict[str, str] | None = None) -> ObservedState:
    states = states or {}
    return ObservedState(
        "demo", {"default": network},
        tuple(ContainerStatus(r, states.get(r.service, "running")) for r in records),
    )


# --- plan_up -------------------------------------------------------------------------------


def test_fresh_project() -> None:
    result, _, _ = fresh()
    assert result.render() == (
        f"1. create network demo_default bridge={BRIDGE} subnet=10.89.0.0/24\n"
        "1. create container demo-db-1 image=postgres 10.89.0.2/24\n"
        "1. create container demo-cache-1 image=redis 10.89.0.3/24\n"
        "1. create container demo-web-1 image=nginx 10.89.0.4/24\n"
        "2. start container demo-db-1\n"
        "2. start container demo-cache-1\n"
        "3. start container demo-web-1"
    )
    assert result.warnings == ()
    assert result.kept == ()
    assert not any(isinstance(op, ops.WriteHosts) for op in result.ops)


def test_fresh_network_record() -> None:
    _, network, _ = fresh()
    assert network == NetworkRecord(
        key="default", name="demo_default", project="demo", bridge=BRIDGE,
        subnet="10.89.0.0/24", gateway="10.89.0.1",
        config_hash=network_hash(project().networks["default"]),
    )
    assert ifnames.bridge_name(ROOT_TAG, "demo_default") == BRIDGE


def test_fresh_container_record() -> None:
    _, _, records = fresh()
    web = records[2]
    web_id = "3" * 64
    assert web.id == web_id
    assert web.name == "demo-web-1"
    assert (web.project, web.service, web.number) == ("demo", "web", 1)
    assert (web.image, web.image_id) == ("nginx", "sha256:web")
    assert web.config_hash == plan.config_hash(project().services["web"], "sha256:web")
    assert web.created == NOW
    assert web.runtime == RUNTIME
    assert web.command == ("nginx", "-g", "daemon off;")
    assert web.hostname == "333333333333"
    assert (web.stop_signal, web.stop_grace_period) == ("SIGTERM", 10.0)
    assert web.attachments == (Attachment(
        network="default", bridge=BRIDGE, address="10.89.0.4/24", gateway="10.89.0.1",
        veth=ifnames.veth_name(web_id, "demo_default"),
        peer=ifnames.veth_peer_name(web_id, "demo_default"), aliases=("web", "demo-web-1"),
        network_name="demo_default",
    ),)
    assert web.labels == {
        "com.docker.compose.project": "demo",
        "com.docker.compose.service": "web",
        "com.docker.compose.container-number": "1",
        "com.docker.compose.config-hash": web.config_hash,
        "com.docker.compose.project.working_dir": "/srv/demo",
        "com.docker.compose.project.config_files": "/srv/demo/compose.yaml",
        "com.docker.compose.oneoff": "False",
        "com.docker.compose.depends_on": "db:service_started:false,cache:service_started:false",
    }
    assert records[0].labels["com.docker.compose.depends_on"] == ""


def test_fresh_hosts_files() -> None:
    result, _, _ = fresh()
    hosts = {op.record.name: op.hosts for op in result.ops
             if isinstance(op, ops.CreateContainer)}
    # peers are found through the embedded DNS server, not /etc/hosts
    assert hosts["demo-db-1"] == HEADER + "10.89.0.2\t111111111111\n"
    assert hosts["demo-web-1"] == HEADER + "10.89.0.4\t333333333333\n"


def test_service_options_reach_the_record() -> None:
    custom = Service("db", "postgres", container_name="the-db", hostname="dbhost",
                     stop_signal="SIGINT", stop_grace_period=3.0, command=None,
                     labels=MappingProxyType({"com.example": "x"}))
    result = up(project(db=custom), ObservedState("demo"))
    db = next(op.record for op in result.ops if isinstance(op, ops.CreateContainer))
    assert db.name == "the-db"
    assert db.hostname == "dbhost"
    assert (db.stop_signal, db.stop_grace_period) == ("SIGINT", 3.0)
    assert db.command == ()
    assert db.labels["com.example"] == "x"
    assert "1. create container the-db image=postgres 10.89.0.2/24" in result.render()


def test_second_run_is_empty() -> None:
    _, network, records = fresh()
    result = up(project(), observed(network, records))
    assert result.render() == ""
    assert result.stages == ()
    assert result.ops == []
    assert result.warnings == ()
    assert [r.name for r in result.kept] == ["demo-db-1", "demo-cache-1", "demo-web-1"]


def test_changed_service_is_recreated() -> None:
    _, network, records = fresh()
    changed = dataclasses.replace(project().services["web"], command=("nginx",))
    result = up(project(web=changed), observed(network, records), new_id=ids(10))
    assert result.render() == (
        "1. stop container demo-web-1\n"
        "2. remove container demo-web-1\n"
        "3. create container demo-web-1 image=nginx 10.89.0.5/24\n"
        "4. write hosts files (2)\n"
        "5. start container demo-web-1"
    )
    stop, remove = result.stages[0][0], result.stages[1][0]
    assert isinstance(stop, ops.StopContainer)
    assert isinstance(remove, ops.RemoveContainer)
    assert stop.record.id == remove.record.id == "3" * 64
    create = result.stages[2][0]
    assert isinstance(create, ops.CreateContainer)
    assert create.record.id == "a" * 64
    assert create.record.command == ("nginx",)
    write = result.stages[3][0]
    assert isinstance(write, ops.WriteHosts)
    rewritten = dict((r.name, text) for r, text in write.hosts)
    assert rewritten["demo-db-1"] == HEADER + "10.89.0.2\t111111111111\n"
    assert [r.name for r in result.kept] == ["demo-db-1", "demo-cache-1"]


def test_changed_image_id_recreates() -> None:
    _, network, records = fresh()
    result = plan.plan_up(project(), {**IMAGE_IDS, "db": "sha256:newdb"},
                          observed(network, records), root_tag=ROOT_TAG, new_id=ids(10),
                          now=NOW, runtime=RUNTIME)
    assert result.render() == (
        "1. stop container demo-db-1\n"
        "2. remove container demo-db-1\n"
        "3. create container demo-db-1 image=postgres 10.89.0.5/24\n"
        "4. write hosts files (2)\n"
        "5. start container demo-db-1"
    )


def test_changed_stopped_container_is_removed_without_stop() -> None:
    _, network, records = fresh()
    changed = dataclasses.replace(project().services["web"], command=("nginx",))
    result = up(project(web=changed), observed(network, records, {"web": "exited"}),
                new_id=ids(10))
    assert result.render() == (
        "1. remove container demo-web-1\n"
        "2. create container demo-web-1 image=nginx 10.89.0.5/24\n"
        "3. write hosts files (2)\n"
        "4. start container demo-web-1"
    )


def test_stopped_container_with_same_hash_is_only_started() -> None:
    _, network, records = fresh()
    result = up(project(), observed(network, records, {"db": "exited"}))
    assert result.render() == "1. start container demo-db-1"
    assert [r.name for r in result.kept] == ["demo-cache-1", "demo-web-1"]


def test_stopped_containers_start_in_dependency_levels() -> None:
    _, network, records = fresh()
    result = up(project(), observed(network, records,
                                    {"db": "exited", "web": "created", "cache": "dead"}))
    assert result.render() == (
        "1. start container demo-db-1\n"
        "1. start container demo-cache-1\n"
        "2. start container demo-web-1"
    )


def test_missing_service_is_created_next_to_existing_ones() -> None:
    _, network, records = fresh()
    result = up(project(), observed(network, records[:2]), new_id=ids(10))
    assert result.render() == (
        "1. create container demo-web-1 image=nginx 10.89.0.4/24\n"
        "2. write hosts files (2)\n"
        "3. start container demo-web-1"
    )


def test_extra_replicas_are_removed() -> None:
    _, network, records = fresh()
    second = dataclasses.replace(records[0], id="e" * 64, name="demo-db-2", number=2)
    result = up(project(), observed(network, [*records, second]))
    assert result.render() == (
        "1. stop container demo-db-2\n"
        "2. remove container demo-db-2"
    )


def test_orphans_are_warned_about() -> None:
    _, network, records = fresh()
    orphan = dataclasses.replace(records[1], id="f" * 64, name="demo-old-1", service="old")
    other = dataclasses.replace(records[1], id="e" * 64, name="demo-aaa-1", service="aaa")
    result = up(project(), observed(network, [*records, orphan, other]))
    assert result.render() == ""
    assert result.warnings == (
        "Found orphan containers (demo-aaa-1, demo-old-1) for this project. If you removed "
        "or renamed this service in your compose file, you can run this command with the "
        "--remove-orphans flag to clean it up.",
    )


def test_orphans_are_removed_on_request() -> None:
    _, network, records = fresh()
    orphan = dataclasses.replace(records[1], id="f" * 64, name="demo-old-1", service="old")
    gone = dataclasses.replace(records[1], id="e" * 64, name="demo-gone-1", service="gone")
    state = observed(network, [*records, orphan, gone], {"gone": "exited"})
    result = up(project(), state, remove_orphans=True)
    assert result.render() == (
        "1. stop container demo-old-1\n"
        "2. remove container demo-old-1\n"
        "2. remove container demo-gone-1"
    )
    assert result.warnings == ()


def test_containers_of_services_left_out_of_the_selection_are_not_orphans() -> None:
    _, network, records = fresh()
    narrowed = project().with_selected_services(["db"])
    result = plan.plan_up(narrowed, IMAGE_IDS, observed(network, records), root_tag=ROOT_TAG,
                          new_id=ids(10), now=NOW, runtime=RUNTIME, remove_orphans=True,
                          known_services={"db", "cache", "web"})
    assert result.render() == ""
    assert result.warnings == ()


def test_force_recreate_replaces_unchanged_containers_of_the_named_services() -> None:
    _, network, records = fresh()
    result = up(project(), observed(network, records), new_id=ids(10),
                recreate={"web": plan.RECREATE_FORCE})  # type: ignore[arg-type]
    assert result.render() == (
        "1. stop container demo-web-1\n"
        "2. remove container demo-web-1\n"
        "3. create container demo-web-1 image=nginx 10.89.0.5/24\n"
        "4. write hosts files (2)\n"
        "5. start container demo-web-1"
    )


def test_no_recreate_keeps_changed_containers_and_starts_stopped_ones() -> None:
    _, network, records = fresh()
    changed = dataclasses.replace(project().services["web"], command=("nginx",))
    never = dict.fromkeys(["db", "cache", "web"], plan.RECREATE_NEVER)
    result = up(project(web=changed), observed(network, records, {"web": "exited"}),
                recreate=never)  # type: ignore[arg-type]
    assert result.render() == "1. start container demo-web-1"


def test_no_start_only_creates() -> None:
    result = up(project(), ObservedState("demo"), start=False)
    assert "start container" not in result.render()
    assert result.render().count("create container") == 3


def test_dependents_with_restart_true_are_restarted_when_their_dependency_is_recreated(
        ) -> None:
    _, network, records = fresh()
    web = dataclasses.replace(project().services["web"], depends_on=MappingProxyType({
        "db": Dependency(restart=True), "cache": Dependency()}))
    db = dataclasses.replace(project().services["db"], command=("postgres", "-F"))
    records = [dataclasses.replace(r, config_hash=plan.config_hash(
        web, IMAGE_IDS["web"])) if r.service == "web" else r for r in records]
    result = up(project(web=web, db=db), observed(network, records), new_id=ids(10))
    assert result.render() == (
        "1. stop container demo-web-1\n"
        "2. stop container demo-db-1\n"
        "3. remove container demo-db-1\n"
        "4. create container demo-db-1 image=postgres 10.89.0.5/24\n"
        "5. write hosts files (2)\n"
        "6. start container demo-db-1\n"
        "7. start container demo-web-1"
    )
    # a change of cache (no restart: true) leaves web running
    cache = dataclasses.replace(project().services["cache"], command=("redis", "-v"))
    result = up(project(web=web, cache=cache), observed(network, records), new_id=ids(10))
    assert "demo-web-1" not in result.render().replace("write hosts", "")


def scaled(service: Service, replicas: int) -> Service:
    canonical = {**service.canonical, "deploy": {"replicas": replicas}}
    return dataclasses.replace(service, canonical=MappingProxyType(canonical))


def test_replicas_are_numbered_containers() -> None:
    result = up(project(cache=scaled(project().services["cache"], 3)), ObservedState("demo"))
    creates = [op.record for op in result.ops if isinstance(op, ops.CreateContainer)]
    cache = [(r.name, r.number, r.labels["com.docker.compose.container-number"])
             for r in creates if r.service == "cache"]
    assert cache == [("demo-cache-1", 1, "1"), ("demo-cache-2", 2, "2"),
                     ("demo-cache-3", 3, "3")]
    assert len({r.attachments[0].address for r in creates}) == 5
    starts = [op.record.name for op in result.stages[-2]]
    assert starts == ["demo-db-1", "demo-cache-1", "demo-cache-2", "demo-cache-3"]


def test_scaling_up_and_down_keeps_the_others_and_does_not_recreate() -> None:
    _, network, records = fresh()
    more = up(project(), observed(network, records), new_id=ids(10), scale={"cache": 2})
    assert more.render() == (
        "1. create container demo-cache-2 image=redis 10.89.0.5/24\n"
        "2. write hosts files (3)\n"
        "3. start container demo-cache-2"
    )
    second = next(op.record for op in more.ops if isinstance(op, ops.CreateContainer))
    fewer = up(project(), observed(network, [*records, second]), scale={"cache": 1})
    assert fewer.render() == (
        "1. stop container demo-cache-2\n"
        "2. remove container demo-cache-2"
    )
    none = up(project(), observed(network, records), scale={"web": 0})
    assert none.render() == "1. stop container demo-web-1\n2. remove container demo-web-1"


def test_replicas_are_not_part_of_the_config_hash() -> None:
    service = project().services["cache"]
    assert plan.config_hash(scaled(service, 4), "i") == plan.config_hash(service, "i")
    assert plan.replicas(scaled(service, 4)) == 4
    assert plan.replicas(scaled(service, 4), {"cache": 2}) == 2
    assert plan.replicas(service) == 1


def test_a_container_name_cannot_be_shared_by_replicas() -> None:
    named = dataclasses.replace(scaled(project().services["cache"], 2), container_name="c")
    with pytest.raises(UsageError, match="container_name 'c' cannot be shared by 2 replicas"):
        up(project(cache=named), ObservedState("demo"))


def test_existing_network_is_reused() -> None:
    _, network, _ = fresh()
    state = ObservedState("demo", {"default": network}, ())
    result = up(project(), state)
    assert "create network" not in result.render()
    assert result.render().splitlines()[0] == (
        "1. create container demo-db-1 image=postgres 10.89.0.2/24")


def test_taken_subnets_are_skipped() -> None:
    state = ObservedState("demo", taken_subnets=(
        IPv4Network("0.0.0.0/0"), IPv4Network("10.89.0.0/24"), IPv4Network("10.89.1.128/25")))
    result = up(project(), state)
    lines = result.render().splitlines()
    assert lines[0] == f"1. create network demo_default bridge={BRIDGE} subnet=10.89.2.0/24"
    assert lines[1] == "1. create container demo-db-1 image=postgres 10.89.2.2/24"
    create = result.stages[0][1]
    assert isinstance(create, ops.CreateContainer)
    assert create.record.attachments[0].gateway == "10.89.2.1"


def test_addresses_in_use_are_skipped() -> None:
    network = NetworkRecord("default", "demo_default", "demo", BRIDGE, "10.89.0.0/24",
                            "10.89.0.1")
    squatter = ContainerRecord(
        id="9" * 64, name="demo-old-1", project="demo", service="old", number=1,
        image="x", image_id="sha256:x", config_hash="h", created=0.0, command=(),
        hostname="old", runtime=RUNTIME,
        attachments=(
            Attachment("default", BRIDGE, "10.89.0.2/24", "10.89.0.1", "pv1", "pt1"),
        ),
    )
    squatter2 = dataclasses.replace(squatter, id="8" * 64, name="demo-old-2", number=2,
                                    attachments=(dataclasses.replace(
                                        squatter.attachments[0], address="10.89.0.4/24"),))
    state = ObservedState("demo", {"default": network}, (
        ContainerStatus(squatter, "running"), ContainerStatus(squatter2, "exited")))
    rendered = up(project(), state).render().splitlines()
    assert rendered[:3] == [
        "1. create container demo-db-1 image=postgres 10.89.0.3/24",
        "1. create container demo-cache-1 image=redis 10.89.0.5/24",
        "1. create container demo-web-1 image=nginx 10.89.0.6/24",
    ]


# --- config_hash -------------------------------------------------------------------------


def test_config_hash_changes_with_the_container_configuration() -> None:
    base = Service("web", "nginx", command=("a",))
    reference = plan.config_hash(base, "sha256:1")
    assert len(reference) == 64
    assert reference == plan.config_hash(Service("web", "nginx", command=("a",)), "sha256:1")
    assert plan.config_hash(dataclasses.replace(base, command=("b",)), "sha256:1") != reference
    assert plan.config_hash(dataclasses.replace(base, command=None), "sha256:1") != reference
    assert plan.config_hash(base, "sha256:2") != reference
    assert plan.config_hash(dataclasses.replace(base, image="nginx:2"), "sha256:1") != reference
    env = dataclasses.replace(base, environment=MappingProxyType({"A": "1"}))
    assert plan.config_hash(env, "sha256:1") != reference


def test_config_hash_ignores_depends_on() -> None:
    base = Service("web", "nginx")
    with_deps = dataclasses.replace(base, depends_on=MappingProxyType(
        {"db": Dependency(condition="service_healthy", restart=True)}))
    assert plan.config_hash(with_deps, "sha256:1") == plan.config_hash(base, "sha256:1")


def test_config_hash_ignores_mapping_order() -> None:
    one = Service("web", "x", environment=MappingProxyType({"A": "1", "B": "2"}))
    two = Service("web", "x", environment=MappingProxyType({"B": "2", "A": "1"}))
    assert plan.config_hash(one, "i") == plan.config_hash(two, "i")


def test_depends_on_change_alone_does_not_recreate() -> None:
    _, network, records = fresh()
    web = dataclasses.replace(project().services["web"],
                              depends_on=MappingProxyType({"db": Dependency()}))
    assert up(project(web=web), observed(network, records)).render() == ""


# --- hosts_files --------------------------------------------------------------------------


def _record(name: str, service: str, *addresses: tuple[str, str]) -> ContainerRecord:
    return ContainerRecord(
        id=name * 8, name=name, project="p", service=service, number=1, image="x",
        image_id="i", config_hash="h", created=0.0, command=(), hostname=f"{name}-host",
        runtime=RUNTIME,
        attachments=tuple(Attachment(net, "br", addr, "gw", "v", "p") for net, addr in addresses),
    )


def test_hosts_files_list_no_peers_for_containers_that_ask_the_dns_server() -> None:
    nets = {key: NetworkRecord(key, f"p_{key}", "p", "br", "10.0.0.0/24", "10.0.0.1")
            for key in ("front", "back")}
    a = _record("a", "svc-a", ("front", "10.0.1.2/24"))
    b = _record("b", "svc-b", ("front", "10.0.1.3/24"), ("back", "10.0.2.3/24"))
    c = _record("c", "svc-c", ("back", "10.0.2.4/24"))
    hosts = plan.hosts_files([a, b, c], nets)
    assert set(hosts) == {a.id, b.id, c.id}
    assert hosts[a.id] == HEADER + "10.0.1.2\ta-host\n"
    assert hosts[b.id] == HEADER + "10.0.1.3\tb-host\n"
    assert hosts[c.id] == HEADER + "10.0.2.4\tc-host\n"


def test_hosts_files_skip_networks_that_are_not_known() -> None:
    a = _record("a", "svc-a", ("ghost", "10.0.1.2/24"))
    b = _record("b", "svc-b", ("ghost", "10.0.1.3/24"))
    hosts = plan.hosts_files([a, b], {})
    assert hosts[a.id] == HEADER + "10.0.1.2\ta-host\n"


def test_hosts_file_of_an_unattached_container() -> None:
    a = _record("a", "svc-a")
    assert plan.hosts_files([a], {}) == {a.id: HEADER}


# --- plan_down -----------------------------------------------------------------------------


def test_plan_down_stops_dependents_first() -> None:
    _, network, records = fresh()
    result = plan.plan_down(observed(network, records))
    assert result.render() == (
        "1. stop container demo-web-1\n"
        "2. stop container demo-db-1\n"
        "2. stop container demo-cache-1\n"
        f"3. remove container demo-db-1 with bridge {BRIDGE}\n"
        "3. remove container demo-cache-1\n"
        "3. remove container demo-web-1\n"
        f"4. remove network demo_default bridge={BRIDGE}"
    )
    assert result.warnings == ()


def test_plan_down_only_stops_running_containers() -> None:
    _, network, records = fresh()
    result = plan.plan_down(observed(network, records, {"web": "exited", "cache": "created"}))
    assert result.render() == (
        "1. stop container demo-db-1\n"
        f"2. remove container demo-db-1 with bridge {BRIDGE}\n"
        "2. remove container demo-cache-1\n"
        "2. remove container demo-web-1\n"
        f"3. remove network demo_default bridge={BRIDGE}"
    )


def test_plan_down_order_comes_from_the_labels() -> None:
    # a chain written the other way around: c depends on b depends on a
    def rec(service: str, deps: str) -> ContainerRecord:
        return ContainerRecord(
            id=service * 64, name=f"p-{service}-1", project="p", service=service, number=1,
            image="x", image_id="i", config_hash="h", created=0.0, command=(),
            hostname=service, runtime=RUNTIME,
            labels={"com.docker.compose.depends_on": deps},
        )
    state = ObservedState("p", {}, (
        ContainerStatus(rec("a", ""), "running"),
        ContainerStatus(rec("c", "b:service_healthy:true"), "running"),
        ContainerStatus(rec("b", "a:service_started:false,gone:service_started:false"),
                        "running"),
    ))
    assert plan.plan_down(state).render() == (
        "1. stop container p-c-1\n"
        "2. stop container p-b-1\n"
        "3. stop container p-a-1\n"
        "4. remove container p-a-1\n"
        "4. remove container p-c-1\n"
        "4. remove container p-b-1"
    )


def test_plan_down_of_nothing() -> None:
    assert plan.plan_down(ObservedState("p")).stages == ()


@pytest.mark.parametrize(
    ("label", "deps"),
    [
        ("", ()),
        ("db:service_started:false", ("db",)),
        ("db:service_healthy:true,cache:service_started:false", ("db", "cache")),
    ],
)
def test_recorded_dependencies(label: str, deps: tuple[str, ...]) -> None:
    record = _record("a", "a")
    record = dataclasses.replace(record, labels={"com.docker.compose.depends_on": label})
    assert plan.recorded_dependencies(record) == deps
    assert plan.recorded_dependencies(_record("b", "b")) == ()


def test_record_json_round_trip() -> None:
    _, network, records = fresh()
    for record in records:
        assert ContainerRecord.from_json(record.to_json()) == record
    assert NetworkRecord.from_json(network.to_json()) == network


def _with_network(network: Network) -> Project:
    return dataclasses.replace(project(), networks=MappingProxyType({"default": network}))


def test_a_network_whose_configuration_changed_is_made_again_with_its_containers() -> None:
    _, network, records = fresh()
    changed = Network("default", "demo_default", labels=MappingProxyType({"tier": "x"}))
    result = up(_with_network(changed), observed(network, records), new_id=ids(7))
    kinds = [[type(op).__name__ for op in stage] for stage in result.stages]
    order = [kind for stage in kinds for kind in dict.fromkeys(stage)]
    assert order[:5] == ["StopContainer", "RemoveContainer", "RemoveNetwork", "CreateNetwork",
                         "CreateContainer"]
    (removed,) = [op.network for op in result.ops if isinstance(op, ops.RemoveNetwork)]
    (made,) = [op.network for op in result.ops if isinstance(op, ops.CreateNetwork)]
    assert removed == network
    assert made.config_hash == network_hash(changed) != network.config_hash
    assert sum(isinstance(op, ops.CreateContainer) for op in result.ops) == 3
    assert result.kept == ()


def test_a_leaving_bridge_goes_with_one_removal_unless_a_container_stays_on_it() -> None:
    """Deleted with a container's links, a bridge costs no wait of its own on the
    kernel; but never while a container left behind is attached to it."""
    _, network, records = fresh()
    changed = Network("default", "demo_default", labels=MappingProxyType({"tier": "x"}))

    def carried(containers: list[ContainerRecord]) -> list[tuple[str, ...]]:
        result = up(_with_network(changed), observed(network, containers), new_id=ids(7))
        return sorted(op.bridges for op in result.ops if isinstance(op, ops.RemoveContainer))

    assert carried(records) == [(), (), (network.bridge,)]
    orphan = dataclasses.replace(records[0], id="f" * 64, name="demo-old-1", service="old")
    assert carried([*records, orphan]) == [(), (), ()]


def test_an_unchanged_or_unhashed_network_is_kept() -> None:
    _, network, records = fresh()
    for recorded in (network, dataclasses.replace(network, config_hash="")):
        result = up(project(), observed(recorded, records), new_id=ids(7))
        assert not any(isinstance(op, ops.RemoveNetwork | ops.CreateNetwork)
                       for op in result.ops)
        assert len(result.kept) == 3
