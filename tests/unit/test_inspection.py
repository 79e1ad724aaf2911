"""``inspect`` output in docker inspect's shape, from a container's facts."""

from __future__ import annotations

from typing import Any

from common.records import Attachment, ContainerRecord, NetworkSettings, PortBinding
from common.status import ContainerStatus, Probe
from compose.cli.views.inspection import ContainerFacts, inspect_json
from compose.planning.health import HealthState

RECORD = ContainerRecord(
    id="ab" * 32, name="p-db-1", project="p", service="db", number=1, image="postgres",
    image_id="sha256:i", config_hash="h", created=1_700_000_000.0,
    command=("/bin/sh", "/usr/local/bin/db-entrypoint.sh", "postgres"),
    hostname="db", runtime="/usr/sbin/runc", stop_grace_period=10.0,
    attachments=(Attachment("default", "br", "10.89.0.2/24", "10.89.0.1", "v", "p",
                            aliases=("db", "p-db-1"), mac="02:42:0a:59:00:02"),),
    network=NetworkSettings(ports=(PortBinding(target=5432, published=15432),),
                            exposed=("5432/tcp",)),
    volumes={"/var/lib/postgresql/data": "p_data"},
)
SERVICE: dict[str, Any] = {
    "entrypoint": ["/bin/sh", "/usr/local/bin/db-entrypoint.sh"],
    "user": "postgres",
    "restart": "on-failure:3",
    "healthcheck": {"test": ["CMD", "pg_isready"], "interval": "2s"},
    "volumes": [{"type": "volume", "source": "data", "target": "/var/lib/postgresql/data"},
                {"type": "bind", "source": "/srv/conf", "target": "/etc/pg", "read_only": True},
                {"type": "tmpfs", "target": "/run/pg"}],
    "tmpfs": ["/scratch:size=1m"],
    "cap_add": ["NET_ADMIN"],
}
IMAGE = {"Cmd": ["postgres"], "Entrypoint": ["docker-entrypoint.sh"], "User": "",
         "WorkingDir": "/"}
SPEC = {"process": {"env": ["PATH=/usr/bin", "PGDATA=/var/lib/postgresql/data"],
                    "cwd": "/", "terminal": False},
        "root": {"readonly": True},
        "linux": {"resources": {"memory": {"limit": 67108864}, "pids": {"limit": 50},
                                "cpu": {"quota": 50000, "period": 100000}}}}


def facts(status: ContainerStatus, **extra: Any) -> ContainerFacts:
    return ContainerFacts(status=status, directory="/var/lib/pycompose/containers/x",
                          service=SERVICE, image_config=IMAGE, spec=SPEC,
                          volume_sources={"p_data": "/var/lib/pycompose/volumes/p_data/_data"},
                          **extra)


def test_state_and_health_of_a_running_container() -> None:
    health = HealthState("unhealthy", 2, (Probe(1_700_000_001.0, 1_700_000_001.5, 1, "no\n"),))
    status = ContainerStatus(RECORD, "running", pid=42, started_at=1_700_000_000.5)
    out = inspect_json(facts(status, health=health, restarts=4))
    assert out["Name"] == "/p-db-1" and out["Id"] == RECORD.id
    assert out["State"]["Running"] is True and out["State"]["Pid"] == 42
    assert out["State"]["StartedAt"] == "2023-11-14T22:13:20.500000Z"
    assert out["State"]["FinishedAt"] == "0001-01-01T00:00:00Z"
    assert out["State"]["Health"] == {
        "Status": "unhealthy", "FailingStreak": 2,
        "Log": [{"Start": "2023-11-14T22:13:21Z", "End": "2023-11-14T22:13:21.500000Z",
                 "ExitCode": 1, "Output": "no\n"}]}
    assert out["RestartCount"] == 4


def test_config_is_what_the_container_runs_as() -> None:
    """A service entrypoint drops the image's Cmd; the user is the configured name."""
    out = inspect_json(facts(ContainerStatus(RECORD, "running")))
    assert out["Path"] == "/bin/sh"
    assert out["Args"] == ["/usr/local/bin/db-entrypoint.sh", "postgres"]
    config = out["Config"]
    assert config["Entrypoint"] == ["/bin/sh", "/usr/local/bin/db-entrypoint.sh"]
    assert config["Cmd"] is None
    assert config["User"] == "postgres"
    assert config["Env"] == ["PATH=/usr/bin", "PGDATA=/var/lib/postgresql/data"]
    assert config["ExposedPorts"] == {"5432/tcp": {}}
    assert config["Healthcheck"] == {"Test": ["CMD", "pg_isready"], "Interval": 2_000_000_000,
                                     "Timeout": 30_000_000_000, "StartPeriod": 0,
                                     "StartInterval": 5_000_000_000, "Retries": 3}
    assert config["StopTimeout"] == 10


def test_host_config_mounts_and_network_settings() -> None:
    out = inspect_json(facts(ContainerStatus(RECORD, "running")))
    host = out["HostConfig"]
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["Binds"] == ["/srv/conf:/etc/pg:ro"]
    assert host["PortBindings"] == {"5432/tcp": [{"HostIp": "", "HostPort": "15432"}]}
    assert host["Tmpfs"] == {"/scratch": "size=1m"}
    assert (host["Memory"], host["NanoCpus"], host["PidsLimit"]) == (67108864, 500_000_000, 50)
    assert host["ReadonlyRootfs"] is True and host["CapAdd"] == ["NET_ADMIN"]
    assert host["Runtime"] == "runc"
    assert [(m["Type"], m["Destination"], m["RW"]) for m in out["Mounts"]] == [
        ("volume", "/var/lib/postgresql/data", True), ("bind", "/etc/pg", False),
        ("tmpfs", "/run/pg", True)]
    assert out["Mounts"][0]["Source"] == "/var/lib/pycompose/volumes/p_data/_data"
    network = out["NetworkSettings"]
    assert network["Ports"] == {"5432/tcp": [{"HostIp": "", "HostPort": "15432"}]}
    assert network["Networks"]["p_default"]["IPAddress"] == "10.89.0.2"
    assert network["Networks"]["p_default"]["MacAddress"] == "02:42:0a:59:00:02"


def test_image_defaults_when_the_service_sets_none() -> None:
    out = inspect_json(ContainerFacts(
        status=ContainerStatus(RECORD, "exited", exit_code=3), directory="/d",
        image_config=IMAGE))
    assert out["Config"]["Entrypoint"] == ["docker-entrypoint.sh"]
    assert out["Config"]["Cmd"] == ["postgres"]
    assert "Health" not in out["State"] and out["State"]["ExitCode"] == 3
    assert out["NetworkSettings"]["Ports"] == {}  # published only while it runs
