"""compose/cli/commands/port.py: which host address a container port is published on."""

from __future__ import annotations

import dataclasses

import pytest

from common.errors import UsageError
from common.records import Attachment, ContainerRecord, NetworkSettings, PortBinding
from common.status import ContainerStatus
from compose.cli.commands.port import find_port

WEB = ContainerRecord(
    id="ab" * 32, name="demo-web-1", project="demo", service="web", number=1, image="x",
    image_id="i", config_hash="h", created=0.0, command=(), hostname="web", runtime="runc",
    attachments=(Attachment("default", "br", "10.89.0.2/24", "10.89.0.1", "v", "p"),),
    network=NetworkSettings(ports=(PortBinding(80, "tcp", "", 8080),
                                   PortBinding(53, "udp", "127.0.0.1", 5353)),
                            exposed=("9000/tcp",)),
)


def test_published_ports() -> None:
    running = [ContainerStatus(WEB, "running")]
    assert find_port(running, "web", 80, "tcp") == "0.0.0.0:8080"
    assert find_port(running, "web", 53, "udp") == "127.0.0.1:5353"
    assert find_port(running, "web", 9000, "tcp") == ":0"  # exposed only, as docker prints it


@pytest.mark.parametrize(
    ("statuses", "args", "message"),
    [
        ([ContainerStatus(WEB, "running")], ("web", 53, "tcp", 0),
         "no port 53/tcp for container demo-web-1: not found"),
        ([ContainerStatus(WEB, "exited")], ("web", 80, "tcp", 0),
         "no port 80/tcp for container demo-web-1: not found"),
        ([], ("web", 80, "tcp", 0), 'service "web" is not running'),
        ([ContainerStatus(WEB, "running")], ("web", 80, "tcp", 2),
         'service "web" is not running container #2'),
    ],
)
def test_errors(statuses: list[ContainerStatus], args: tuple[str, int, str, int],
                message: str) -> None:
    with pytest.raises(UsageError) as info:
        find_port(statuses, *args)
    assert str(info.value) == message


def test_index_picks_the_replica() -> None:
    second = dataclasses.replace(WEB, id="cd" * 32, name="demo-web-2", number=2, network=(
        NetworkSettings(ports=(PortBinding(80, "tcp", "", 8081),))))
    statuses = [ContainerStatus(second, "running"), ContainerStatus(WEB, "running")]
    assert find_port(statuses, "web", 80, "tcp") == "0.0.0.0:8080"
    assert find_port(statuses, "web", 80, "tcp", 2) == "0.0.0.0:8081"
