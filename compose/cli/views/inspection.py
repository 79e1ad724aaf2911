"""``inspect``: a container as ``docker inspect`` shows it (pure), in the fields
that apply here: State with Health and its last probes, the merged Config
(entrypoint, command, user, environment as the container really has them),
HostConfig, Mounts, RestartCount and NetworkSettings.

The facts come from the container's record, its service as created
(``supervision.json``), its image's config and the OCI spec it was created with;
``ContainerFacts`` gathers them (compose/cli/commands/inspect.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from common.commandline import merged
from common.records import ContainerRecord
from common.status import RUNNING, ContainerStatus
from compose.planning.health import HealthState, health_config
from compose.planning.lifecycle import parse_policy

ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class ContainerFacts:
    """What is known of one container, read by the command, shown by this view."""

    status: ContainerStatus
    directory: str
    service: Mapping[str, Any] = field(default_factory=dict)
    """The service as the container was created from it (canonical form)."""
    image_config: Mapping[str, Any] = field(default_factory=dict)
    spec: Mapping[str, Any] = field(default_factory=dict)
    """The OCI runtime spec (``config.json``)."""
    health: HealthState | None = None
    restarts: int = 0
    paused: bool = False
    oom_killed: bool = False
    volume_sources: Mapping[str, str] = field(default_factory=dict)
    """Volume name -> its data directory on the host."""


def _when(seconds: float | None) -> str:
    if not seconds:
        return ZERO_TIME
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def health_json(health: HealthState) -> dict[str, Any]:
    return {
        "Status": health.status,
        "FailingStreak": health.failing_streak,
        "Log": [{"Start": _when(p.start), "End": _when(p.end), "ExitCode": p.exit_code,
                 "Output": p.output} for p in health.log],
    }


def inspect_json(facts: ContainerFacts) -> dict[str, Any]:
    record = facts.status.record
    command = list(record.command)
    return {
        "Id": record.id,
        "Created": _when(record.created),
        "Path": command[0] if command else "",
        "Args": command[1:],
        "State": _state(facts),
        "Image": record.image_id,
        "ResolvConfPath": f"{facts.directory}/resolv.conf",
        "HostnamePath": f"{facts.directory}/hostname",
        "HostsPath": f"{facts.directory}/hosts",
        "Name": "/" + record.name,
        "RestartCount": facts.restarts,
        "Driver": "overlay",
        "Platform": "linux",
        "HostConfig": _host_config(facts),
        "Mounts": _mounts(facts),
        "Config": container_config(facts),
        "NetworkSettings": _network_settings(record, facts.status.state == RUNNING),
    }


def _state(facts: ContainerFacts) -> dict[str, Any]:
    status = facts.status
    running = status.state == RUNNING
    state: dict[str, Any] = {
        "Status": "paused" if running and facts.paused else status.state,
        "Running": running,
        "Paused": running and facts.paused,
        "Restarting": False,
        "OOMKilled": facts.oom_killed,
        "Dead": status.state == "dead",
        "Pid": status.pid or 0,
        "ExitCode": status.exit_code or 0,
        "Error": "",
        "StartedAt": _when(status.started_at),
        "FinishedAt": _when(status.finished_at),
    }
    if facts.health is not None and running:
        state["Health"] = health_json(facts.health)
    return state


def container_config(facts: ContainerFacts) -> dict[str, Any]:
    record, service, image = facts.status.record, facts.service, facts.image_config
    process = facts.spec.get("process") or {}
    entrypoint, cmd = merged(service.get("entrypoint"), service.get("command"), image)
    exposed: dict[str, dict[str, Any]] = {f"{b.target}/{b.protocol}": {}
                                          for b in record.network.ports}
    exposed.update({port if "/" in port else f"{port}/tcp": {}
                    for port in record.network.exposed})
    return {
        "Hostname": record.hostname,
        "Domainname": str(service.get("domainname") or ""),
        "User": str(service.get("user") or image.get("User") or ""),
        "Tty": bool(process.get("terminal", service.get("tty", False))),
        "OpenStdin": bool(service.get("stdin_open", False)),
        "ExposedPorts": dict(sorted(exposed.items())) or None,
        "Env": list(process.get("env") or []),
        "Cmd": cmd,
        "Healthcheck": _healthcheck(service, image),
        "Image": record.image,
        "WorkingDir": str(process.get("cwd") or service.get("working_dir")
                          or image.get("WorkingDir") or ""),
        "Entrypoint": entrypoint,
        "Labels": dict(sorted(record.labels.items())),
        "StopSignal": record.stop_signal,
        "StopTimeout": int(record.stop_grace_period),
    }


def _healthcheck(service: Mapping[str, Any], image: Mapping[str, Any]) -> dict[str, Any] | None:
    """As Docker's Config has it: the test, and durations in nanoseconds."""
    config = health_config(service, image)
    if config is None:
        return None
    mine = service.get("healthcheck") or {}
    test = mine.get("test") or (image.get("Healthcheck") or {}).get("Test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    return {"Test": list(test or []), "Interval": _ns(config.interval),
            "Timeout": _ns(config.timeout),
            "StartPeriod": _ns(config.start_period),
            "StartInterval": _ns(config.start_interval), "Retries": config.retries}


def _ns(seconds: float) -> int:
    return round(seconds * 1_000_000_000)


def _host_config(facts: ContainerFacts) -> dict[str, Any]:
    record, service = facts.status.record, facts.service
    policy = parse_policy(service)
    binds = [m for m in service.get("volumes") or () if m.get("type") == "bind"]
    linux = facts.spec.get("linux") or {}
    resources = linux.get("resources") or {}
    cpu = resources.get("cpu") or {}
    quota, period = cpu.get("quota") or 0, cpu.get("period") or 0
    return {
        "Binds": [f"{m['source']}:{m['target']}:{'ro' if m.get('read_only') else 'rw'}"
                  for m in binds] or None,
        "NetworkMode": record.network.mode or _default_network(record),
        "PortBindings": _port_bindings(record) or None,
        "RestartPolicy": {"Name": policy.name, "MaximumRetryCount": policy.max_attempts},
        "AutoRemove": False,
        "CapAdd": list(service.get("cap_add") or []) or None,
        "CapDrop": list(service.get("cap_drop") or []) or None,
        "Dns": list(record.network.dns),
        "DnsOptions": list(record.network.dns_options),
        "DnsSearch": list(record.network.dns_search),
        "ExtraHosts": [f"{name}:{address}" for name, address in record.network.extra_hosts],
        "GroupAdd": [str(g) for g in service.get("group_add") or ()] or None,
        "Init": bool(service.get("init")) or None,
        "Privileged": bool(service.get("privileged")),
        "ReadonlyRootfs": bool((facts.spec.get("root") or {}).get("readonly")),
        "Tmpfs": dict(t.partition(":")[::2] for t in _strings(service.get("tmpfs"))) or None,
        "Memory": int((resources.get("memory") or {}).get("limit") or 0),
        "NanoCpus": int(quota * 1_000_000_000 // period) if quota > 0 and period else 0,
        "PidsLimit": (resources.get("pids") or {}).get("limit") or None,
        "Runtime": record.runtime.rsplit("/", 1)[-1],
    }


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _default_network(record: ContainerRecord) -> str:
    first = record.attachments[0] if record.attachments else None
    if first is None:
        return "none"
    return first.network_name or f"{record.project}_{first.network}"


def _port_bindings(record: ContainerRecord) -> dict[str, list[dict[str, str]]]:
    found: dict[str, list[dict[str, str]]] = {}
    for binding in record.network.ports:
        found.setdefault(f"{binding.target}/{binding.protocol}", []).append(
            {"HostIp": binding.host_ip, "HostPort": str(binding.published or "")})
    return found


def _mounts(facts: ContainerFacts) -> list[dict[str, Any]]:
    """Volumes (named and anonymous), binds and ``type: tmpfs`` mounts, as Docker
    lists them (``tmpfs:`` entries are in HostConfig.Tmpfs instead)."""
    record, service = facts.status.record, facts.service
    mounts: list[dict[str, Any]] = []
    for target, name in sorted(record.volumes.items()):
        entry: Mapping[str, Any] = next(
            (m for m in service.get("volumes") or () if m.get("target") == target), {})
        mounts.append({"Type": "volume", "Name": name,
                       "Source": facts.volume_sources.get(name, ""), "Destination": target,
                       "Driver": "local", "Mode": "z", "RW": not entry.get("read_only"),
                       "Propagation": ""})
    for entry in service.get("volumes") or ():
        if entry.get("type") == "bind":
            mounts.append({"Type": "bind", "Source": entry.get("source", ""),
                           "Destination": entry.get("target", ""),
                           "Mode": "ro" if entry.get("read_only") else "rw",
                           "RW": not entry.get("read_only"), "Propagation": "rprivate"})
        elif entry.get("type") == "tmpfs":
            mounts.append({"Type": "tmpfs", "Source": "", "Destination": entry.get("target", ""),
                           "Mode": "", "RW": True, "Propagation": ""})
    return mounts


def _network_settings(record: ContainerRecord, running: bool) -> dict[str, Any]:
    ports: dict[str, list[dict[str, str]] | None] = {}
    if running:
        ports = {port: None for port in record.network.exposed}
        ports.update(_port_bindings(record))
    return {
        "Ports": dict(sorted(ports.items())),
        "Networks": {
            (a.network_name or f"{record.project}_{a.network}"): {
                "Aliases": list(a.aliases) or None,
                "MacAddress": a.mac,
                "IPAddress": a.address.split("/")[0],
                "IPPrefixLen": int(a.address.split("/")[1]) if "/" in a.address else 0,
                "Gateway": a.gateway,
                "GlobalIPv6Address": a.address6.split("/")[0],
                "GlobalIPv6PrefixLen": int(a.address6.split("/")[1]) if "/" in a.address6
                else 0,
                "IPv6Gateway": a.gateway6,
                "DNSNames": [n for n in (record.name, *a.aliases, record.short_id) if n],
            } for a in record.attachments
        },
    }
