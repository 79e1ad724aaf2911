"""docker compose's ``ServiceConfig`` and the structs below it, as ``gomodel`` specs.

Field order is the Go declaration order (``config`` prints structs that way);
short syntaxes that compose-go expands while decoding (ports, volumes, devices,
secrets, ``gpus: all``, ``healthcheck.test`` as a string...) are expanded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compose.spec.golang import values as govalues
from compose.spec.golang.build import build
from compose.spec.golang.deploy import DEPLOY, gpus
from compose.spec.golang.environment import resolve_environment
from compose.spec.golang.mounts import file_references, volumes
from compose.spec.golang.structs import (
    Context,
    Struct,
    boolean,
    duration,
    field,
    float32,
    go_map,
    hosts_list,
    integer,
    labels,
    list_of,
    map_of,
    pairs,
    path,
    raw,
    shell_command,
    size,
    string,
    string_map,
    strings,
    ulimit,
)
from compose.spec.syntax.ports import canonical_ports


def _ports(value: Any, ctx: Context) -> Any:
    return canonical_ports(value)


def _expose(value: Any, ctx: Context) -> Any:
    result: list[str] = []
    for entry in value:
        text = govalues.to_str(entry)
        if text not in result:
            result.append(text)
    return result


def _device(value: Any, ctx: Context) -> Any:
    if isinstance(value, Mapping):
        return _DEVICE(value, ctx)
    parts = str(value).split(":")
    if len(parts) > 3:
        raise ValueError(f"confusing device mapping, please use long syntax: {value}")
    source, target = parts[0], parts[1] if len(parts) > 1 else parts[0]
    return {"source": source, "target": target,
            "permissions": parts[2] if len(parts) == 3 else "rwm"}


_DEVICE = Struct(field("source", string), field("target", string), field("permissions", string))


def _healthcheck_test(value: Any, ctx: Context) -> Any:
    return ["CMD-SHELL", value] if isinstance(value, str) else strings(value, ctx)


HEALTHCHECK = Struct(
    field("test", _healthcheck_test), field("timeout", duration, pointer=True),
    field("interval", duration, pointer=True), field("retries", integer, pointer=True),
    field("start_period", duration, pointer=True),
    field("start_interval", duration, pointer=True), field("disable", boolean),
)

_SERVICE_NETWORK = Struct(
    field("aliases", strings), field("driver_opts", string_map),
    field("gw_priority", integer), field("interface_name", string),
    field("ipv4_address", string), field("ipv6_address", string),
    field("link_local_ips", strings), field("mac_address", string), field("priority", integer),
)


def _service_networks(value: Any, ctx: Context) -> Any:
    if isinstance(value, list):
        return go_map((str(name), None) for name in value)
    return map_of(_SERVICE_NETWORK, null=True)(value, ctx)


def _depends_on(value: Any, ctx: Context) -> Any:
    result: dict[str, dict[str, Any]] = {}
    entries = pairs(value) if isinstance(value, Mapping) else [(str(v), {}) for v in value]
    for name, entry in entries:
        entry = entry or {}
        dependency: dict[str, Any] = {"condition": entry.get("condition") or "service_started"}
        if entry.get("restart") and govalues.to_bool(entry["restart"]):
            dependency["restart"] = True
        dependency["required"] = govalues.to_bool(entry.get("required", True))
        dependency.update((k, v) for k, v in entry.items() if k.startswith("x-"))
        result[name] = dependency
    return go_map(result.items())


_HOOK = Struct(
    field("command", shell_command, pointer=True), field("user", string),
    field("privileged", boolean), field("working_dir", string),
    field("environment", raw),
)


def _hooks(value: Any, ctx: Context) -> Any:
    result = []
    for hook in value:
        converted = _HOOK(hook, ctx)
        if "environment" in converted:
            # a map, as the service's; but a bare key stays null: compose-go resolves
            # only the service's own environment from ours, never a hook's
            converted["environment"] = resolve_environment(converted["environment"], {})
        result.append(converted)
    return result


def _watch_path(value: Any, ctx: Context) -> Any:
    return path(value, ctx)


_DEVELOP = Struct(field("watch", list_of(Struct(
    field("path", _watch_path), field("action", string), field("target", string),
    field("exec", _HOOK), field("include", strings), field("ignore", strings),
    field("initial_sync", boolean),
))))

_LOGGING = Struct(field("driver", string), field("options", string_map))


def _pull_policy(value: Any, ctx: Context) -> Any:
    text = govalues.to_str(value)
    return "missing" if text == "if_not_present" else text


def _multi_options(value: Any, ctx: Context) -> Any:
    """``MultiOptions``: every option holds a list of strings."""
    return go_map((key, strings(item, ctx)) for key, item in pairs(value))


def _models(value: Any, ctx: Context) -> Any:
    if isinstance(value, list):
        return go_map((str(name), None) for name in value)
    return map_of(Struct(field("endpoint_var", string)), null=True)(value, ctx)


_BLKIO = Struct(
    field("weight", integer),
    field("weight_device", list_of(Struct(field("path", string), field("weight", integer)))),
    *(field(key, list_of(Struct(field("path", string), field("rate", size))))
      for key in ("device_read_bps", "device_read_iops", "device_write_bps",
                  "device_write_iops")),
)

SERVICE = Struct(
    field("profiles", strings), field("annotations", labels),
    field("attach", boolean, pointer=True), field("build", build, pointer=True),
    field("develop", _DEVELOP, pointer=True), field("blkio_config", _BLKIO, pointer=True),
    field("cap_add", strings), field("cap_drop", strings), field("cgroup_parent", string),
    field("cgroup", string), field("cpu_count", integer), field("cpu_percent", float32),
    field("cpu_period", integer), field("cpu_quota", integer),
    field("cpu_rt_period", integer), field("cpu_rt_runtime", integer),
    field("cpus", float32), field("cpuset", string), field("cpu_shares", integer),
    field("command", shell_command, pointer=True),
    field("configs", file_references(None)), field("container_name", string),
    field("credential_spec", Struct(field("config", string), field("file", string),
                                    field("registry", string)), pointer=True),
    field("depends_on", _depends_on), field("deploy", DEPLOY, pointer=True),
    field("device_cgroup_rules", strings), field("devices", list_of(_device)),
    field("dns", strings), field("dns_opt", strings), field("dns_search", strings),
    field("dockerfile", string), field("domainname", string),
    field("entrypoint", shell_command, pointer=True),
    field("provider", Struct(field("type", string), field("options", _multi_options)),
          pointer=True),
    field("environment", raw), field("env_file", raw), field("expose", _expose),
    field("extends", raw), field("external_links", strings),
    field("extra_hosts", hosts_list), field("group_add", strings), field("gpus", gpus),
    field("hostname", string), field("healthcheck", HEALTHCHECK, pointer=True),
    field("image", string), field("init", boolean, pointer=True), field("ipc", string),
    field("isolation", string), field("labels", labels), field("label_file", raw),
    field("links", strings), field("logging", _LOGGING, pointer=True),
    field("mem_limit", size), field("mem_reservation", size), field("memswap_limit", size),
    field("mem_swappiness", size), field("mac_address", string), field("models", _models),
    field("net", string), field("network_mode", string),
    field("networks", _service_networks), field("oom_kill_disable", boolean),
    field("oom_score_adj", integer), field("pid", string), field("pids_limit", integer),
    field("platform", string), field("ports", _ports), field("privileged", boolean),
    field("pull_policy", _pull_policy), field("read_only", boolean),
    field("restart", string), field("runtime", string),
    field("scale", integer, pointer=True), field("secrets", file_references("/run/secrets")),
    field("security_opt", strings), field("shm_size", size), field("stdin_open", boolean),
    field("stop_grace_period", duration, pointer=True), field("stop_signal", string),
    field("storage_opt", string_map), field("sysctls", labels), field("tmpfs", strings),
    field("tty", boolean), field("ulimits", map_of(ulimit)),
    field("use_api_socket", boolean), field("user", string), field("userns_mode", string),
    field("uts", string), field("volume_driver", string), field("volumes", volumes),
    field("volumes_from", strings), field("working_dir", string),
    field("post_start", _hooks), field("pre_stop", _hooks),
)
