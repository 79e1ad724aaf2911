"""compose/spec/load/runtimekeys.py: runtime keys the loader no longer warns about, and the
values it still warns about."""

from __future__ import annotations

from compose.spec.load.runtimekeys import runtime_warnings
from compose.spec.load.typed import unsupported


def test_runtime_keys_are_supported() -> None:
    canonical = {"name": "p", "services": {"a": {
        "image": "busybox", "cap_add": ["NET_ADMIN"], "mem_limit": "1", "init": True,
        "tmpfs": ["/run"], "ulimits": {"nofile": 10}, "security_opt": ["seccomp=unconfined"],
    }}}
    assert unsupported(canonical) == []


def test_value_warnings() -> None:
    canonical = {"name": "p", "services": {"a": {
        "security_opt": ["no-new-privileges:true", "label=disable", "systempaths=unconfined"],
        "userns_mode": "remap",
        "deploy": {"replicas": 2, "placement": {"constraints": ["x"]},
                   "resources": {"limits": {"cpus": 1, "devices": [{"x": 1}]},
                                 "reservations": {"cpus": 0.5, "memory": "1"}},
                   "restart_policy": {"condition": "any"}},
    }}}
    assert runtime_warnings(canonical) == [
        "services.a.security_opt: 'label=disable' is not supported and is ignored",
        "services.a.deploy.placement only applies to Swarm and is ignored",
        "services.a.deploy.resources.limits.devices is not supported yet and is ignored",
        "services.a.deploy.resources.reservations.cpus is a Swarm option and is ignored",
        "services.a.userns_mode 'remap' is not supported; the container shares the host's "
        "user namespace",
    ]


def test_logging_caps_are_acted_on_and_other_drivers_and_options_warned() -> None:
    kept = {"name": "p", "services": {"a": {
        "image": "busybox",
        "logging": {"driver": "json-file", "options": {"max-size": "1k", "max-file": "3"}}}}}
    assert unsupported(kept) == []
    other = {"name": "p", "services": {"a": {
        "logging": {"driver": "syslog",
                    "options": {"syslog-address": "udp://x", "max-size": "1k"}}}}}
    assert runtime_warnings(other) == [
        "services.a.logging.driver 'syslog' is not supported; the output is kept in files "
        "that `logs` reads",
        "services.a.logging.options.syslog-address is not supported yet and is ignored",
    ]
