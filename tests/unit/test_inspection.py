"""``inspect`` output in docker inspect's shape."""

from __future__ import annotations

from common.records import Attachment, ContainerRecord
from common.status import ContainerStatus, Probe
from compose.cli.views.inspection import inspect_json
from compose.planning.health import HealthState

RECORD = ContainerRecord(
    id="ab" * 32, name="p-db-1", project="p", service="db", number=1, image="busybox",
    image_id="sha256:i", config_hash="h", created=1_700_000_000.0, command=("sleep", "9"),
    hostname="db", runtime="runc",
    attachments=(Attachment("default", "br", "10.89.0.2/24", "10.89.0.1", "v", "p"),))


def test_state_health_and_networks() -> None:
    health = HealthState("unhealthy", 2, (Probe(1_700_000_001.0, 1_700_000_001.5, 1, "no\n"),))
    status = ContainerStatus(RECORD, "running", pid=42, started_at=1_700_000_000.5)
    out = inspect_json(status, health, {"healthcheck": {"test": ["CMD", "true"]}})
    assert out["Name"] == "/p-db-1" and out["Id"] == RECORD.id
    assert out["State"]["Running"] is True and out["State"]["Pid"] == 42
    assert out["State"]["StartedAt"] == "2023-11-14T22:13:20.500000Z"
    assert out["State"]["FinishedAt"] == "0001-01-01T00:00:00Z"
    assert out["State"]["Health"] == {
        "Status": "unhealthy", "FailingStreak": 2,
        "Log": [{"Start": "2023-11-14T22:13:21Z", "End": "2023-11-14T22:13:21.500000Z",
                 "ExitCode": 1, "Output": "no\n"}]}
    assert out["NetworkSettings"]["Networks"] == {
        "p_default": {"IPAddress": "10.89.0.2", "IPPrefixLen": 24, "Gateway": "10.89.0.1"}}
    assert out["Config"]["Cmd"] == ["sleep", "9"]


def test_no_health_without_a_check() -> None:
    out = inspect_json(ContainerStatus(RECORD, "exited", exit_code=3), None, {})
    assert "Health" not in out["State"] and out["State"]["ExitCode"] == 3
