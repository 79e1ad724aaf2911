"""compose/cli/views/pslist.py: `ps` rows with docker compose's field names and formats."""

from __future__ import annotations

import pytest

from common.records import Attachment, ContainerRecord, NetworkSettings, PortBinding
from common.status import ContainerStatus
from compose.cli.views.pslist import command_text, ps_row, ps_table, status_text

CREATED = 1_795_435_817.0
NOW = CREATED + 600


def record(**overrides: object) -> ContainerRecord:
    values: dict[str, object] = dict(
        id="ab" * 32, name="demo-web-1", project="demo", service="web", number=1,
        image="nginx:1.25", image_id="sha256:x", config_hash="h", created=CREATED,
        command=("nginx", "-g", "daemon off;"), hostname="web", runtime="/usr/bin/runc",
        attachments=(Attachment("default", "br", "10.89.0.2/24", "10.89.0.1", "v", "p"),),
        labels={"com.docker.compose.service": "web", "com.docker.compose.project": "demo"},
    )
    values.update(overrides)
    return ContainerRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (ContainerStatus(record(), "running", started_at=NOW - 5), "Up 5 seconds"),
        (ContainerStatus(record(), "running", started_at=NOW - 0.2), "Up Less than a second"),
        (ContainerStatus(record(), "running", started_at=NOW - 3 * 3600), "Up 3 hours"),
        # without a start time the creation time counts
        (ContainerStatus(record(), "running"), "Up 10 minutes"),
        (ContainerStatus(record(), "exited", exit_code=3, finished_at=NOW - 120),
         "Exited (3) 2 minutes ago"),
        (ContainerStatus(record(), "exited", exit_code=0, finished_at=NOW - 1),
         "Exited (0) 1 second ago"),
        (ContainerStatus(record(), "exited", exit_code=137), "Exited (137)"),
        (ContainerStatus(record(), "exited"), "Exited (unknown)"),
        (ContainerStatus(record(), "created"), "Created"),
        (ContainerStatus(record(), "dead"), "Dead"),
    ],
)
def test_status_text(status: ContainerStatus, text: str) -> None:
    assert status_text(status, NOW) == text


@pytest.mark.parametrize(
    ("health", "text"),
    [("starting", "Up 5 seconds (health: starting)"), ("healthy", "Up 5 seconds (healthy)"),
     ("unhealthy", "Up 5 seconds (unhealthy)"), ("", "Up 5 seconds")],
)
def test_status_text_shows_health_like_docker(health: str, text: str) -> None:
    running = ContainerStatus(record(), "running", started_at=NOW - 5)
    assert status_text(running, NOW, health) == text
    assert ps_row(running, NOW, health)["Health"] == health
    assert ps_row(ContainerStatus(record(), "exited"), NOW, health)["Health"] == ""


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ((), '""'),
        (("sleep", "10"), '"sleep 10"'),
        (("sh", "-c", "echo hi"), "\"sh -c 'echo hi'\""),
        (("nginx", "-g", "daemon off;"), "\"nginx -g 'daemon off;'\""),
    ],
)
def test_command_text(args: tuple[str, ...], text: str) -> None:
    assert command_text(args) == text


FIELDS = [
    "Command", "CreatedAt", "ExitCode", "Health", "ID", "Image", "Labels", "LocalVolumes",
    "Mounts", "Name", "Names", "Networks", "Ports", "Project", "Publishers", "RunningFor",
    "Service", "Size", "State", "Status",
]


def test_ps_row_fields_and_values() -> None:
    status = ContainerStatus(record(), "running", pid=42, started_at=NOW - 5)
    row = ps_row(status, NOW)
    assert sorted(row) == FIELDS
    assert row == {
        "Command": "\"nginx -g 'daemon off;'\"",
        "CreatedAt": "2026-11-23 12:10:17 +0000 UTC",
        "ExitCode": 0,
        "Health": "",
        "ID": "ab" * 32,
        "Image": "nginx:1.25",
        "Labels": "com.docker.compose.project=demo,com.docker.compose.service=web",
        "LocalVolumes": "0",
        "Mounts": "",
        "Name": "demo-web-1",
        "Names": "demo-web-1",
        "Networks": "demo_default",
        "Ports": "",
        "Project": "demo",
        "Publishers": [],
        "RunningFor": "10 minutes ago",
        "Service": "web",
        "Size": "0B",
        "State": "running",
        "Status": "Up 5 seconds",
    }


def test_ps_row_exited_and_networks() -> None:
    rec = record(attachments=(
        Attachment("back", "b1", "10.89.1.2/24", "10.89.1.1", "v", "p"),
        Attachment("default", "b0", "10.89.0.2/24", "10.89.0.1", "v", "p"),
    ), labels={})
    row = ps_row(ContainerStatus(rec, "exited", exit_code=2, finished_at=NOW - 60), NOW)
    assert row["ExitCode"] == 2
    assert row["State"] == "exited"
    assert row["Status"] == "Exited (2) About a minute ago"
    assert row["Networks"] == "demo_back,demo_default"
    assert row["Labels"] == ""
    assert ps_row(ContainerStatus(rec, "exited"), NOW)["ExitCode"] == 0


def test_ps_table_header_only() -> None:
    assert ps_table([]) == "NAME   IMAGE   COMMAND   SERVICE   CREATED   STATUS   PORTS"


def test_ps_table_rows() -> None:
    web = ps_row(ContainerStatus(record(), "running", started_at=NOW - 5), NOW)
    db = ps_row(ContainerStatus(record(name="demo-db-1", service="db", image="postgres",
                                       command=("postgres",)),
                                "exited", exit_code=0, finished_at=NOW - 120), NOW)
    # column widths: 10, 10, 20, 7, 14, 24, 5; three spaces between; no trailing blanks
    web_command = "\"nginx -g 'daemon …\""
    db_command = '"postgres"'
    assert len(web_command) == 20
    assert ps_table([web, db]).splitlines() == [
        f"{'NAME':10}   {'IMAGE':10}   {'COMMAND':20}   SERVICE   {'CREATED':14}   "
        f"{'STATUS':24}   PORTS",
        f"demo-web-1   nginx:1.25   {web_command}   web       10 minutes ago   Up 5 seconds",
        f"demo-db-1    postgres     {db_command:20}   db        10 minutes ago   "
        "Exited (0) 2 minutes ago",
    ]


def test_ps_table_truncates_long_commands_to_twenty_characters() -> None:
    row = ps_row(ContainerStatus(record(command=("x" * 30,)), "created"), NOW)
    line = ps_table([row]).splitlines()[1]
    command = '"' + "x" * 17 + '…"'
    assert len(command) == 20
    assert command in line
    exact = ps_row(ContainerStatus(record(command=("y" * 18,)), "created"), NOW)
    assert '"' + "y" * 18 + '"' in ps_table([exact])


# --- ports ------------------------------------------------------------------------------


def _published(*ports: PortBinding, exposed: tuple[str, ...] = (), v6: bool = False,
               state: str = "running") -> dict[str, object]:
    attachment = Attachment("default", "br", "10.89.0.2/24", "10.89.0.1", "v", "p",
                            address6="fd89::2/64" if v6 else "")
    rec = record(attachments=(attachment,),
                 network=NetworkSettings(ports=ports, exposed=exposed))
    return ps_row(ContainerStatus(rec, state, started_at=NOW), NOW)


def test_publishers_and_ports_like_docker_compose() -> None:
    row = _published(PortBinding(80, "tcp", "", 8080), PortBinding(53, "udp", "127.0.0.1", 5353),
                     exposed=("80/tcp", "9000/tcp"))
    assert row["Publishers"] == [
        {"URL": "127.0.0.1", "TargetPort": 53, "PublishedPort": 5353, "Protocol": "udp"},
        {"URL": "0.0.0.0", "TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"},
        {"URL": "", "TargetPort": 9000, "PublishedPort": 0, "Protocol": "tcp"},
    ]
    assert row["Ports"] == "9000/tcp, 127.0.0.1:5353->53/udp, 0.0.0.0:8080->80/tcp"


def test_ports_group_runs_that_map_to_themselves() -> None:
    row = _published(PortBinding(8000, "tcp", "", 8000), PortBinding(8001, "tcp", "", 8001),
                     PortBinding(8003, "tcp", "", 8003), exposed=("7000/tcp", "7001/tcp"),
                     v6=True)
    # a run cut short is written at once, the last run of each kind at the end (as the
    # Docker CLI does)
    assert row["Ports"] == ("0.0.0.0:8000-8001->8000-8001/tcp, :::8000-8001->8000-8001/tcp, "
                            "7000-7001/tcp, 0.0.0.0:8003->8003/tcp, :::8003->8003/tcp")


def test_ipv6_publishers_only_when_the_container_has_ipv6() -> None:
    row = _published(PortBinding(80, "tcp", "", 8080), v6=True)
    assert [p["URL"] for p in row["Publishers"]] == ["0.0.0.0", "::"]  # type: ignore[attr-defined]
    assert row["Ports"] == "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"


def test_a_stopped_container_publishes_nothing() -> None:
    row = _published(PortBinding(80, "tcp", "", 8080), state="exited")
    assert (row["Ports"], row["Publishers"]) == ("", [])


def test_networks_are_listed_by_name() -> None:
    rec = record(attachments=(
        Attachment("ext", "b1", "10.89.1.2/24", "10.89.1.1", "v", "p", network_name="shared"),))
    assert ps_row(ContainerStatus(rec, "running"), NOW)["Networks"] == "shared"
