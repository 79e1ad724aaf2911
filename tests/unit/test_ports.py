"""compose/spec/syntax/ports.py: port short syntax to docker compose's long form (checked against
docker compose v2.40.3)."""

from __future__ import annotations

import pytest

from compose.spec.syntax.ports import PortError, canonical_ports, parse_port


def _port(target: int, published: str | None = None, protocol: str = "tcp",
          host_ip: str | None = None) -> dict[str, object]:
    port: dict[str, object] = {"mode": "ingress"}
    if host_ip:
        port["host_ip"] = host_ip
    port["target"] = target
    if published:
        port["published"] = published
    port["protocol"] = protocol
    return port


@pytest.mark.parametrize(("spec", "expected"), [
    ("80", [_port(80)]),
    ("8080:80", [_port(80, "8080")]),
    ("127.0.0.1:8080:80", [_port(80, "8080", host_ip="127.0.0.1")]),
    ("127.0.0.1::80", [_port(80, host_ip="127.0.0.1")]),
    ("[::1]:8080:80", [_port(80, "8080", host_ip="::1")]),
    ("::1:8080:80", [_port(80, "8080", host_ip="::1")]),
    ("53:53/udp", [_port(53, "53", "udp")]),
    ("5000:5000/UDP", [_port(5000, "5000", "udp")]),
    ("9090-9091:8080", [_port(8080, "9090-9091")]),
    ("3000-3001", [_port(3000), _port(3001)]),
    ("8000-8001:9000-9001/udp", [_port(9000, "8000", "udp"), _port(9001, "8001", "udp")]),
    # docker compose sorts the expanded ports as strings
    ("9999-10000:9999-10000", [_port(10000, "10000"), _port(9999, "9999")]),
])
def test_short_syntax(spec: str, expected: list[dict[str, object]]) -> None:
    assert parse_port(spec) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("1.2.3:80:80", "invalid IP address: 1.2.3"),
    ("abc", "invalid containerPort: abc"),
    ("80/xyz", "invalid proto: xyz"),
    ("70000", "invalid containerPort: 70000"),
    ("90-80", "invalid containerPort: 90-80"),
    ("8080:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8080"),
])
def test_invalid_short_syntax(spec: str, message: str) -> None:
    with pytest.raises(PortError, match=message):
        parse_port(spec)


def test_long_syntax_gets_defaults_and_string_published() -> None:
    assert canonical_ports([{"target": "81", "published": 8081, "host_ip": "1.1.1.1",
                             "name": "web", "app_protocol": "http", "x-foo": "bar"}]) == [
        {"name": "web", "mode": "ingress", "host_ip": "1.1.1.1", "target": 81,
         "published": "8081", "protocol": "tcp", "app_protocol": "http", "x-foo": "bar"},
    ]


def test_duplicates_collapse_into_the_first_position() -> None:
    ports = canonical_ports([80, "8080:80", {"target": 80}, "8080:80"])
    assert ports == [_port(80), _port(80, "8080")]


def test_uninterpolated_entries_are_kept_as_written() -> None:
    assert canonical_ports(["${PORT:-8080}:80"]) == ["${PORT:-8080}:80"]
