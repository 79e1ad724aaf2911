"""Network planning from real Compose files: networks, addresses, interfaces, modes,
ports and hosts files, as rendered plans and records (compose/planning/netplan.py, plan.py)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import textwrap
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from common.errors import UsageError
from common.records import ContainerRecord, NetworkRecord, PortBinding
from common.status import ContainerStatus
from compose.planning import ops, plan
from compose.planning.observed import ObservedState, Surroundings
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import IpamConfig, Network, Project
from network import names as ifnames
from network.ipam import AddressPool

BASE = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


def load(tmp_path: Path, text: str, name: str = "demo") -> Project:
    directory = tmp_path / name
    directory.mkdir(exist_ok=True)
    (directory / "compose.yaml").write_text(textwrap.dedent(text))
    return load_project(LoadOptions(cwd=str(directory), environ={})).project


def ids(start: int = 1) -> Callable[[], str]:
    counter = itertools.count(start)
    return lambda: (f"{next(counter):x}" * 64)[:64]


def up(project: Project, observed: ObservedState | None = None, start: int = 1) -> ops.Plan:
    return plan.plan_up(project, dict.fromkeys(project.services, "sha256:i"),
                        observed or ObservedState(project.name), root_tag="t",
                        new_id=ids(start), now=0.0, runtime="/usr/sbin/runc")


def created(result: ops.Plan) -> dict[str, ContainerRecord]:
    return {op.record.service: op.record for op in result.ops
            if isinstance(op, ops.CreateContainer)}


def networks_of(result: ops.Plan) -> dict[str, NetworkRecord]:
    return {op.network.key: op.network for op in result.ops
            if isinstance(op, ops.CreateNetwork)}


def hosts_of(result: ops.Plan) -> dict[str, str]:
    return {op.record.service: op.hosts for op in result.ops
            if isinstance(op, ops.CreateContainer)}


TWO_NETWORKS = """
    services:
      web:
        image: busybox
        networks:
          front:
            aliases: [www]
          back: {}
      api:
        image: busybox
        networks: [back]
      edge:
        image: busybox
        networks: [front]
    networks:
      front: {}
      back: {}
"""


def test_two_networks_two_bridges_and_interfaces(tmp_path: Path) -> None:
    result = up(load(tmp_path, TWO_NETWORKS))
    assert result.render() == (
        f"1. create network demo_back bridge={ifnames.bridge_name('t', 'demo_back')} "
        "subnet=10.89.0.0/24\n"
        f"1. create network demo_front bridge={ifnames.bridge_name('t', 'demo_front')} "
        "subnet=10.89.1.0/24\n"
        "1. create container demo-api-1 image=busybox 10.89.0.2/24\n"
        "1. create container demo-edge-1 image=busybox 10.89.1.2/24\n"
        "1. create container demo-web-1 image=busybox 10.89.0.3/24 10.89.1.3/24\n"
        "2. start container demo-api-1\n"
        "2. start container demo-edge-1\n"
        "2. start container demo-web-1"
    )
    web = created(result)["web"]
    assert [(a.network, a.ifname, a.default_route) for a in web.attachments] == [
        ("back", "eth0", True), ("front", "eth1", False)]
    assert web.attachments[1].aliases == ("web", "demo-web-1", "www")
    assert web.attachments[0].veth != web.attachments[1].veth


def test_hosts_list_only_the_container_itself(tmp_path: Path) -> None:
    # neighbours and their aliases come from the embedded DNS server (test_dnstable.py)
    hosts = hosts_of(up(load(tmp_path, TWO_NETWORKS)))
    assert hosts["edge"] == BASE + "10.89.1.2\t222222222222\n"
    assert hosts["api"] == BASE + "10.89.0.2\t111111111111\n"
    assert hosts["web"] == BASE + "10.89.0.3\t333333333333\n"


def test_priority_orders_interfaces_and_gw_priority_picks_the_route(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            networks:
              a: {gw_priority: 0}
              b: {priority: 10}
              c: {gw_priority: 5}
        networks: {a: {}, b: {}, c: {}}
    """)
    web = created(up(project))["web"]
    assert [(a.network, a.ifname, a.default_route) for a in web.attachments] == [
        ("b", "eth0", False), ("a", "eth1", False), ("c", "eth2", True)]


def test_ipam_config_static_addresses_and_aux_addresses(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          db:
            image: busybox
            networks:
              front: {ipv4_address: 10.5.0.10}
          web:
            image: busybox
            networks: [front]
          cache:
            image: busybox
            networks: [front]
        networks:
          front:
            ipam:
              config:
                - subnet: 10.5.0.0/24
                  gateway: 10.5.0.254
                  ip_range: 10.5.0.8/29
                  aux_addresses: {printer: 10.5.0.9}
    """)
    result = up(project)
    front = networks_of(result)["front"]
    assert (front.subnet, front.gateway, front.ip_range, front.reserved) == (
        "10.5.0.0/24", "10.5.0.254", "10.5.0.8/29", ("10.5.0.9",))
    addresses = {s: r.attachments[0].address for s, r in created(result).items()}
    # dynamic ones from ip_range, skipping the static one and the aux address
    assert addresses == {"db": "10.5.0.10/24", "cache": "10.5.0.11/24", "web": "10.5.0.12/24"}
    assert created(result)["web"].attachments[0].gateway == "10.5.0.254"


@pytest.mark.parametrize(
    ("network", "endpoint", "message"),
    [
        ("ipam: {config: [{subnet: 10.5.0.0/24}]}", "{ipv4_address: 10.6.0.1}",
         "demo-web-1: network front: ipv4_address 10.6.0.1 is not in subnet 10.5.0.0/24"),
        ("ipam: {config: [{subnet: 10.5.0.0/24, gateway: 10.7.0.1}]}", "{}",
         "network front: gateway 10.7.0.1 is not in subnet 10.5.0.0/24"),
        ("ipam: {config: [{subnet: 10.5.0.0/24, ip_range: 10.6.0.0/28}]}", "{}",
         "network front: ip_range 10.6.0.0/28 is not inside subnet 10.5.0.0/24"),
        ("", "{ipv6_address: 'fd00::5'}",
         "demo-web-1: ipv6_address fd00::5 on network front, which has no IPv6"),
        ("driver_opts: {com.docker.network.bridge.name: a-name-far-too-long}", "{}",
         "network front: 'a-name-far-too-long' is not a valid interface name"),
        ("driver_opts: {com.docker.network.driver.mtu: lots}", "{}",
         "driver_opts com.docker.network.driver.mtu must be a number from 68 to 65535"),
    ],
)
def test_bad_network_settings_are_clear_errors(tmp_path: Path, network: str, endpoint: str,
                                               message: str) -> None:
    project = load(tmp_path, f"""
        services:
          web:
            image: busybox
            networks:
              front: {endpoint}
        networks:
          front: {{{network}}}
    """)
    with pytest.raises(UsageError) as info:
        up(project)
    assert message in str(info.value)


def test_a_static_address_held_by_a_staying_container_is_refused(tmp_path: Path) -> None:
    text = """
        services:
          web:
            image: busybox
            networks:
              front: {ipv4_address: 10.5.0.10}
          db:
            image: busybox
            command: ["true"]
            networks:
              front: {ipv4_address: 10.5.0.10}
        networks:
          front:
            ipam: {config: [{subnet: 10.5.0.0/24}]}
    """
    with pytest.raises(UsageError, match=r"10\.5\.0\.10 on network front is already in use"):
        up(load(tmp_path, text))


def test_a_recreated_container_keeps_its_static_address(tmp_path: Path) -> None:
    text = """
        services:
          web:
            image: busybox
            command: [%s]
            networks:
              front: {ipv4_address: 10.5.0.10}
        networks:
          front:
            ipam: {config: [{subnet: 10.5.0.0/24}]}
    """
    first = up(load(tmp_path, text % "a"))
    network = networks_of(first)["front"]
    record = created(first)["web"]
    observed = ObservedState("demo", {"front": network}, (ContainerStatus(record, "running"),))
    again = up(load(tmp_path, text % "b"), observed, start=5)
    assert created(again)["web"].attachments[0].address == "10.5.0.10/24"
    assert "1. stop container demo-web-1" in again.render()


def test_ipv6_dual_stack(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            networks:
              v6: {ipv6_address: "fd00:5::10"}
          db:
            image: busybox
            networks: [v6, auto]
        networks:
          v6:
            enable_ipv6: true
            ipam: {config: [{subnet: 10.5.0.0/24}, {subnet: "fd00:5::/64"}]}
          auto:
            enable_ipv6: true
    """)
    result = up(project)
    nets = networks_of(result)
    assert (nets["v6"].subnet6, nets["v6"].gateway6) == ("fd00:5::/64", "fd00:5::1")
    assert (nets["auto"].subnet6, nets["auto"].gateway6) == ("fd89::/64", "fd89::1")
    assert "subnet=10.89.0.0/24 subnet6=fd89::/64" in result.render()
    web, db = created(result)["web"], created(result)["db"]
    assert (web.attachments[0].address, web.attachments[0].address6) == (
        "10.5.0.3/24", "fd00:5::10/64")
    assert [(a.network, a.address6) for a in db.attachments] == [
        ("auto", "fd89::2/64"), ("v6", "fd00:5::2/64")]
    assert hosts_of(result)["web"] == BASE + (
        "10.5.0.3\t222222222222\nfd00:5::10\t222222222222\n")


def test_internal_network_has_no_default_route(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            networks: [inside, outside]
          db:
            image: busybox
            networks: [inside]
        networks:
          inside: {internal: true}
          outside: {}
    """)
    result = up(project)
    assert networks_of(result)["inside"].internal
    assert " internal" in result.render().splitlines()[0]
    records = created(result)
    assert [(a.network, a.default_route) for a in records["web"].attachments] == [
        ("inside", False), ("outside", True)]
    assert [a.default_route for a in records["db"].attachments] == [False]


def test_driver_opts_mtu_bridge_name_masquerade_labels(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            networks: [front]
            mac_address: "02:42:ac:11:00:02"
        networks:
          front:
            labels: [tier=front]
            driver_opts:
              com.docker.network.driver.mtu: "1400"
              com.docker.network.bridge.name: frontbr
              com.docker.network.bridge.enable_ip_masquerade: "false"
    """)
    result = up(project)
    front = networks_of(result)["front"]
    assert (front.bridge, front.mtu, front.masquerade, front.labels) == (
        "frontbr", 1400, False, {"tier": "front"})
    attachment = created(result)["web"].attachments[0]
    assert (attachment.mtu, attachment.mac) == (1400, "02:42:ac:11:00:02")


def _other_project_network() -> tuple[NetworkRecord, ContainerRecord]:
    shared = NetworkRecord("shared", "shared", "other", "pcshared", "10.89.7.0/24", "10.89.7.1")
    user = ContainerRecord(
        id="e" * 64, name="other-app-1", project="other", service="app", number=1, image="x",
        image_id="i", config_hash="h", created=0.0, command=(), hostname="app",
        runtime="runc", attachments=(dataclasses.replace(
            plan.netplan.Attachment("shared", "pcshared", "10.89.7.2/24", "10.89.7.1",
                                    "pv", "pt"), aliases=("app", "other-app-1")),))
    return shared, user


def test_external_network_is_joined_never_created(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            networks: [ext]
        networks:
          ext:
            external: true
            name: shared
    """)
    with pytest.raises(UsageError, match="network shared declared as external, but could "
                                         "not be found"):
        up(project)
    shared, user = _other_project_network()
    observed = ObservedState("demo", surroundings=Surroundings(
        networks={"shared": shared}, containers=(user,)))
    result = up(project, observed)
    assert "create network" not in result.render()
    web = created(result)["web"]
    assert (web.attachments[0].bridge, web.attachments[0].address) == ("pcshared",
                                                                       "10.89.7.3/24")
    assert "other-app-1" not in hosts_of(result)["web"]  # the DNS server answers for it

    # the other project's down keeps the network while this project uses it
    mine = ObservedState("other", {"shared": shared}, (ContainerStatus(user, "running"),),
                         surroundings=Surroundings(containers=(web,)))
    down = plan.plan_down(mine)
    assert "remove network" not in down.render()
    assert down.warnings == ("network shared is still in use by demo-web-1; it is kept "
                             "until they leave it",)


def test_a_network_name_taken_by_another_project_must_be_external(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web: {image: busybox, networks: [front]}
        networks:
          front: {name: shared}
    """)
    shared, _ = _other_project_network()
    observed = ObservedState("demo", surroundings=Surroundings(networks={"shared": shared}))
    with pytest.raises(UsageError, match="network shared already exists in project other; "
                                         "declare it with external: true"):
        up(project, observed)


def test_subnets_avoid_other_projects_and_come_from_the_configured_pools(tmp_path: Path) -> None:
    project = load(tmp_path, "services: {web: {image: busybox}}\n")
    shared, _ = _other_project_network()
    pools = (AddressPool.parse("10.89.7.0/24", 26), AddressPool.parse("10.200.0.0/16", 24))
    observed = ObservedState("demo", taken_subnets=(IPv4Network("10.200.0.0/24"),),
                             surroundings=Surroundings(networks={"shared": shared},
                                                       address_pools=pools))
    assert networks_of(up(project, observed))["default"].subnet == "10.200.1.0/24"


@pytest.mark.parametrize("mode", ["none", "host"])
def test_none_and_host_modes_have_no_interfaces(tmp_path: Path, mode: str) -> None:
    project = load(tmp_path, f"""
        services:
          web:
            image: busybox
            network_mode: {mode}
            extra_hosts: ["gw:host-gateway"]
            ports: ["80:80"]
    """)
    result = up(project)
    assert result.render().splitlines() == [
        f"1. create container demo-web-1 image=busybox network_mode={mode}",
        "2. start container demo-web-1",
    ]
    web = created(result)["web"]
    assert (web.attachments, web.network.mode, web.network.ports) == ((), mode, ())
    assert hosts_of(result)["web"] == BASE + "127.0.0.1\tgw\n"


def test_service_mode_joins_the_namespace_after_it_exists(tmp_path: Path) -> None:
    text = """
        services:
          web:
            image: busybox
            command: [%s]
          sidecar:
            image: busybox
            network_mode: service:web
    """
    result = up(load(tmp_path, text % "a"))
    assert result.render() == (
        f"1. create network demo_default bridge={ifnames.bridge_name('t', 'demo_default')} "
        "subnet=10.89.0.0/24\n"
        "1. create container demo-web-1 image=busybox 10.89.0.2/24\n"
        f"2. create container demo-sidecar-1 image=busybox network_mode=container:{'1' * 64}\n"
        "3. start container demo-web-1\n"
        "4. start container demo-sidecar-1"
    )
    # it sees what web sees, under its own hostname
    assert hosts_of(result)["sidecar"] == BASE + "10.89.0.2\t222222222222\n"

    # recreating web recreates the container that lives in its namespace
    network = networks_of(result)["default"]
    records = created(result)
    observed = ObservedState("demo", {"default": network}, tuple(
        ContainerStatus(r, "running") for r in records.values()))
    assert up(load(tmp_path, text % "a"), observed, start=5).render() == ""
    again = up(load(tmp_path, text % "b"), observed, start=5)
    assert "create container demo-sidecar-1 image=busybox network_mode=container:" \
        + "5" * 64 in again.render()


def test_container_mode_names_an_existing_container(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          probe:
            image: busybox
            network_mode: container:other-app-1
    """)
    with pytest.raises(UsageError, match="network_mode container:other-app-1: no such"):
        up(project)
    _, user = _other_project_network()
    observed = ObservedState("demo", surroundings=Surroundings(containers=(user,)))
    probe = created(up(project, observed))["probe"]
    assert probe.network.mode == f"container:{user.id}"


def test_links_extra_hosts_and_dns_settings_reach_the_record(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          db:
            image: busybox
          web:
            image: busybox
            links: ["db:database"]
            extra_hosts: ["host.docker.internal:host-gateway", "static=192.0.2.7"]
            dns: [192.0.2.53]
            dns_search: [example.test]
            dns_opt: ["ndots:2"]
            expose: ["9000-9001", "53/udp"]
    """)
    result = up(project)
    web = created(result)["web"]
    settings = web.network
    assert settings.links == (("demo-db-1", "database"),)
    assert settings.extra_hosts == (("host.docker.internal", "10.89.0.1"),
                                    ("static", "192.0.2.7"))
    assert (settings.dns, settings.dns_search, settings.dns_options) == (
        ("192.0.2.53",), ("example.test",), ("ndots:2",))
    assert settings.exposed == ("53/udp", "9000/tcp", "9001/tcp")
    assert hosts_of(result)["web"] == BASE + (
        "10.89.0.1\thost.docker.internal\n"
        "192.0.2.7\tstatic\n"
        "10.89.0.3\t222222222222\n"
    )  # the link alias "database" is answered by the DNS server


def test_ports_become_bindings_with_random_ones_unassigned(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            ports: ["8080:80", "127.0.0.1:9000-9001:90/udp", "3000", "7000-7001:70-71"]
    """)
    assert created(up(project))["web"].network.ports == (
        PortBinding(80, "tcp", "", 8080),
        PortBinding(90, "udp", "127.0.0.1", 9000, 9001),
        PortBinding(3000, "tcp", "", 0),
        PortBinding(70, "tcp", "", 7000),
        PortBinding(71, "tcp", "", 7001),
    )


def test_with_records_swaps_records_everywhere(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web: {image: busybox, ports: ["80"]}
    """)
    result = up(project)
    assert result.with_records([]) is result
    web = created(result)["web"]
    assert result.starting() == [web]
    chosen = dataclasses.replace(web, network=dataclasses.replace(
        web.network, ports=(PortBinding(80, "tcp", "", 49153),)))
    swapped = result.with_records([chosen])
    assert created(swapped)["web"] == chosen
    assert swapped.starting() == [chosen]
    assert swapped.render() == result.render()


def test_unused_networks_are_not_created(tmp_path: Path) -> None:
    project = load(tmp_path, TWO_NETWORKS)
    only_api = project.with_selected_services(["api"])
    assert list(networks_of(up(only_api))) == ["back"]


def test_model_network_from_canonical(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web: {image: busybox, networks: [front]}
        networks:
          front:
            internal: true
            attachable: true
            enable_ipv6: true
            labels: {a: b}
            ipam:
              config: [{subnet: 10.5.0.0/24, aux_addresses: {x: 10.5.0.3}}]
    """)
    front = project.networks["front"]
    assert front == Network(
        key="front", name="demo_front", internal=True, attachable=True, enable_ipv6=True,
        labels=front.labels, ipam=(IpamConfig("10.5.0.0/24", aux_addresses=front.ipam[0]
                                              .aux_addresses),))
    assert dict(front.labels) == {"a": "b"}
    assert dict(front.ipam[0].aux_addresses) == {"x": "10.5.0.3"}
    assert project.services["web"].networks == ("front",)


def test_bridge_mode_is_the_default_network(tmp_path: Path) -> None:
    project = load(tmp_path, "services: {web: {image: busybox, network_mode: bridge}}\n")
    assert project.services["web"].networks == ("default",)
    assert project.networks["default"].name == "demo_default"


def test_warnings_for_network_keys_not_acted_on(tmp_path: Path) -> None:
    directory = tmp_path / "warn"
    directory.mkdir()
    (directory / "compose.yaml").write_text(textwrap.dedent("""
        services:
          web:
            image: busybox
            networks:
              front: {link_local_ips: ["169.254.1.1"]}
          host:
            image: busybox
            network_mode: host
            ports: ["80:80"]
        networks:
          front:
            driver: overlay
            driver_opts: {com.docker.network.bridge.enable_icc: "false"}
            ipam: {driver: other}
    """))
    loaded = load_project(LoadOptions(cwd=str(directory), environ={}))
    assert loaded.warnings == (
        "networks.front.driver 'overlay' is not supported; a bridge is made instead",
        "networks.front.driver_opts.com.docker.network.bridge.enable_icc is not supported yet "
        "and is ignored",
        "networks.front.ipam.driver 'other' is not supported; the default address management "
        "is used",
        "services.host.ports: published ports are discarded with network_mode: host",
        "services.web.networks.front.link_local_ips is not supported yet and is ignored",
    )


def test_records_round_trip_through_json(tmp_path: Path) -> None:
    project = load(tmp_path, """
        services:
          web:
            image: busybox
            ports: ["8080:80", "127.0.0.1:9000-9001:90/udp"]
            expose: ["81"]
            dns: [192.0.2.53]
            extra_hosts: ["gw:host-gateway"]
            links: [db]
            networks:
              front: {aliases: [www], ipv6_address: "fd00:5::9"}
          db:
            image: busybox
            networks: [front]
        networks:
          front:
            enable_ipv6: true
            ipam: {config: [{subnet: "fd00:5::/64"}, {subnet: 10.5.0.0/24, ip_range: 10.5.0.128/25,
                            aux_addresses: {a: 10.5.0.200}}]}
    """)
    result = up(project)
    for record in created(result).values():
        assert ContainerRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    for network in networks_of(result).values():
        assert NetworkRecord.from_json(json.loads(json.dumps(network.to_json()))) == network
    assert created(result)["web"].network.links == (("demo-db-1", "db"),)
