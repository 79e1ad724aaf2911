"""runtime/ocispec/spec.py: process arguments, environment and the OCI config."""

from __future__ import annotations

import dataclasses
import json

import pytest

from runtime.ocispec.resources import Rlimit
from runtime.ocispec.spec import (
    DEFAULT_CAPABILITIES,
    DEFAULT_PATH_ENV,
    MASKED_PATHS,
    READONLY_PATHS,
    ContainerSpec,
    SpecError,
    build_spec,
    process_args,
    process_env,
)

IMAGE = {"Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["nginx", "-g", "daemon off;"]}
CMD_ONLY = {"Cmd": ["sh"]}


# --- process_args ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entrypoint", "command", "image", "expected"),
    [
        # image Entrypoint + Cmd
        (None, None, IMAGE, ("/docker-entrypoint.sh", "nginx", "-g", "daemon off;")),
        (None, None, CMD_ONLY, ("sh",)),
        (None, None, {"Entrypoint": ["/bin/echo"]}, ("/bin/echo",)),
        (None, None, {"Entrypoint": ["/bin/echo"], "Cmd": None}, ("/bin/echo",)),
        # command replaces Cmd, keeps the image Entrypoint
        (None, ["-c", "x"], IMAGE, ("/docker-entrypoint.sh", "-c", "x")),
        (None, ["echo", "hi"], CMD_ONLY, ("echo", "hi")),
        # `command: []` is no command at all: the image's Cmd stays (moby merge)
        (None, [], IMAGE, ("/docker-entrypoint.sh", "nginx", "-g", "daemon off;")),
        (None, [], CMD_ONLY, ("sh",)),
        # service entrypoint replaces the image's and drops its Cmd
        (["/bin/date"], None, IMAGE, ("/bin/date",)),
        (["/bin/date"], [], IMAGE, ("/bin/date",)),
        (["/bin/sh", "-c"], ["echo hi"], IMAGE, ("/bin/sh", "-c", "echo hi")),
        # `entrypoint: ""` drops the image's Entrypoint but keeps its Cmd
        ([], None, IMAGE, ("nginx", "-g", "daemon off;")),
        ([], [], IMAGE, ("nginx", "-g", "daemon off;")),
        ([], ["echo", "x"], IMAGE, ("echo", "x")),
        (None, ("tuple", "ok"), {}, ("tuple", "ok")),
    ],
)
def test_process_args(entrypoint: list[str] | None, command: list[str] | None,
                      image: dict[str, list[str] | None], expected: tuple[str, ...]) -> None:
    assert process_args(entrypoint, command, image) == expected


def test_process_args_stringifies() -> None:
    assert process_args(None, ["sleep", 10], {}) == ("sleep", "10")  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("entrypoint", "command", "image"),
    [
        (None, None, {}),
        (None, None, {"Entrypoint": None, "Cmd": None}),
        (None, None, {"Entrypoint": [], "Cmd": []}),
        (None, [], {}),
        ([], None, {"Entrypoint": ["/e"]}),
        ([], [], {}),
    ],
)
def test_process_args_empty_is_an_error(entrypoint: list[str] | None,
                                        command: list[str] | None,
                                        image: dict[str, list[str] | None]) -> None:
    with pytest.raises(SpecError, match="no command specified"):
        process_args(entrypoint, command, image)


def test_spec_error_is_a_value_error() -> None:
    assert issubclass(SpecError, ValueError)


# --- process_env -------------------------------------------------------------------------


def test_process_env_defaults() -> None:
    assert process_env([], {}, "abc123") == (DEFAULT_PATH_ENV, "HOSTNAME=abc123")
    assert DEFAULT_PATH_ENV == (
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")


def test_process_env_image_path_replaces_the_default_in_place() -> None:
    env = process_env(["PATH=/opt/bin:/bin", "LANG=C.UTF-8"], {}, "h")
    assert env == ("PATH=/opt/bin:/bin", "HOSTNAME=h", "LANG=C.UTF-8")


def test_process_env_service_before_image_and_overriding_it() -> None:
    env = process_env(
        ["PATH=/bin", "A=image", "B=image", "EQ=a=b", "NOVALUE"],
        {"B": "service", "C": "new", "PATH": "/custom", "HOSTNAME": "override"},
        "h",
    )
    # the daemon's order: PATH, HOSTNAME, then the service's variables, then the
    # image's the service does not set; a name seen before keeps its place
    assert env == ("PATH=/custom", "HOSTNAME=override", "B=service", "C=new", "A=image",
                   "EQ=a=b", "NOVALUE=")


def test_process_env_keeps_empty_values() -> None:
    assert process_env(["E="], {"F": ""}, "h") == (DEFAULT_PATH_ENV, "HOSTNAME=h", "F=", "E=")


def test_process_env_tty_sets_term() -> None:
    assert process_env([], {}, "h", tty=True) == (DEFAULT_PATH_ENV, "HOSTNAME=h", "TERM=xterm")
    assert process_env(["TERM=dumb"], {}, "h", tty=True)[2] == "TERM=dumb"


# --- build_spec ------------------------------------------------------------------------------

SPEC = ContainerSpec(
    container_id="c" * 64,
    args=("nginx", "-g", "daemon off;"),
    env=(DEFAULT_PATH_ENV, "HOSTNAME=web"),
    cwd="/srv",
    hostname="web",
    rootfs="/var/lib/pycompose/containers/ccc/rootfs",
    uid=1000,
    gid=100,
    additional_gids=(10, 29),
    netns="/run/netns/pc-ccc",
    files={
        "/etc/resolv.conf": "/state/c/resolv.conf",
        "/etc/hosts": "/state/c/hosts",
        "/etc/hostname": "/state/c/hostname",
    },
    rlimits=(Rlimit("RLIMIT_NOFILE", 1024, 4096),),
    cgroups_path="pycompose.slice:pycompose:ccc",
    annotations={"org.example": "1"},
)


def test_default_capabilities() -> None:
    assert len(DEFAULT_CAPABILITIES) == 14
    assert set(DEFAULT_CAPABILITIES) == {
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
        "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    }
    assert "CAP_SYS_ADMIN" not in DEFAULT_CAPABILITIES
    assert "CAP_NET_ADMIN" not in DEFAULT_CAPABILITIES


def test_build_spec_process() -> None:
    config = build_spec(SPEC)
    assert config["ociVersion"] == "1.0.2"
    process = config["process"]
    assert process["terminal"] is False
    assert process["user"] == {"uid": 1000, "gid": 100, "additionalGids": [10, 29]}
    assert process["args"] == ["nginx", "-g", "daemon off;"]
    assert process["env"] == [DEFAULT_PATH_ENV, "HOSTNAME=web"]
    assert process["cwd"] == "/srv"
    caps = process["capabilities"]
    assert set(caps) == {"bounding", "effective", "permitted"}
    for kind in ("bounding", "effective", "permitted"):
        assert caps[kind] == list(DEFAULT_CAPABILITIES)
    assert process["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024}]
    assert process["noNewPrivileges"] is False
    assert process["oomScoreAdj"] == 0


def test_build_spec_root_and_hostname() -> None:
    config = build_spec(SPEC)
    assert config["root"] == {"path": SPEC.rootfs, "readonly": False}
    assert config["hostname"] == "web"
    assert config["annotations"] == {"org.example": "1"}


def test_build_spec_namespaces_with_network_path() -> None:
    linux = build_spec(SPEC)["linux"]
    assert linux["namespaces"] == [
        {"type": "pid"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
        {"type": "network", "path": "/run/netns/pc-ccc"},
    ]
    assert linux["cgroupsPath"] == "pycompose.slice:pycompose:ccc"


def test_build_spec_masked_and_readonly_paths() -> None:
    linux = build_spec(SPEC)["linux"]
    assert linux["maskedPaths"] == list(MASKED_PATHS)
    assert linux["readonlyPaths"] == list(READONLY_PATHS)
    for path in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware",
                 "/proc/acpi", "/proc/scsi"):
        assert path in linux["maskedPaths"]
    assert linux["readonlyPaths"] == [
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def test_build_spec_mounts() -> None:
    mounts = build_spec(SPEC)["mounts"]
    destinations = [m["destination"] for m in mounts]
    assert destinations == [
        "/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm",
        # bind mounts of `files`, sorted by destination
        "/etc/hostname", "/etc/hosts", "/etc/resolv.conf",
    ]
    by_destination = {m["destination"]: m for m in mounts}
    assert by_destination["/etc/hosts"] == {
        "destination": "/etc/hosts", "type": "bind", "source": "/state/c/hosts",
        "options": ["rbind", "rprivate"],
    }
    assert by_destination["/proc"]["type"] == "proc"
    assert by_destination["/sys"]["options"] == ["nosuid", "noexec", "nodev", "ro"]
    assert "ro" in by_destination["/sys/fs/cgroup"]["options"]
    assert by_destination["/dev/shm"]["options"] == [
        "nosuid", "noexec", "nodev", "mode=1777", "size=67108864"]
    assert by_destination["/dev/pts"]["type"] == "devpts"


def test_build_spec_devices_are_dockers_defaults() -> None:
    devices = build_spec(SPEC)["linux"]["resources"]["devices"]
    assert devices[0] == {"allow": False, "access": "rwm"}
    allowed = [(d["type"], d["major"], d["minor"]) for d in devices[1:] if d["allow"]]
    # zero, null, urandom, random, tty, console (runc appends ptmx, pts and tun itself)
    assert allowed == [("c", 1, 5), ("c", 1, 3), ("c", 1, 9), ("c", 1, 8), ("c", 5, 0),
                       ("c", 5, 1)]
    assert devices[-1] == {"allow": False, "type": "c", "major": 10, "minor": 229,
                           "access": "rwm"}  # fuse, explicitly denied
    assert all(d["access"] == "rwm" for d in devices)


def test_build_spec_minimal() -> None:
    spec = ContainerSpec(container_id="x", args=("sh",), env=(), cwd="/", hostname="h",
                         rootfs="/r")
    config = build_spec(spec)
    assert config["process"]["user"] == {"uid": 0, "gid": 0}
    assert config["process"]["rlimits"] == [
        {"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576}]
    assert config["linux"]["namespaces"][-1] == {"type": "network"}
    assert "cgroupsPath" not in config["linux"]
    assert "annotations" not in config
    assert len(config["mounts"]) == 7
    assert json.loads(json.dumps(config)) == config


def test_build_spec_is_fresh_each_time() -> None:
    first = build_spec(SPEC)
    first["process"]["capabilities"]["bounding"].append("CAP_SYS_ADMIN")
    first["mounts"].clear()
    second = build_spec(SPEC)
    assert "CAP_SYS_ADMIN" not in second["process"]["capabilities"]["bounding"]
    assert len(second["mounts"]) == 10
    assert list(DEFAULT_CAPABILITIES) == second["process"]["capabilities"]["effective"]


def test_a_user_mount_replaces_dockers_own_at_its_destination() -> None:
    """Found by tests/unit/test_spec_properties.py: ``./hosts:/etc/hosts`` was followed
    by our own /etc/hosts bind, which runc mounted on top, hiding the user's file;
    a ``/dev/shm`` tmpfs came twice.  Docker keeps only the user's (moby's
    ``WithMounts`` and ``NetworkMounts``)."""
    mine = ({"destination": "/etc/hosts", "type": "bind", "source": "/srv/hosts",
             "options": ["rbind", "rprivate", "ro"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "tmpfs",
             "options": ["size=67108864"]})
    mounts = build_spec(dataclasses.replace(SPEC, mounts=mine))["mounts"]
    destinations = [m["destination"] for m in mounts]
    assert len(destinations) == len(set(destinations)) == 10
    by_destination = {m["destination"]: m for m in mounts}
    assert by_destination["/etc/hosts"]["source"] == "/srv/hosts"
    assert by_destination["/dev/shm"]["options"] == ["size=67108864"]
    assert by_destination["/etc/resolv.conf"]["source"] == "/state/c/resolv.conf"


def test_a_user_mount_on_dev_replaces_dockers_dev_mounts() -> None:
    mine = ({"destination": "/dev", "type": "bind", "source": "/dev",
             "options": ["rbind", "rprivate"]},)
    destinations = [m["destination"] for m in
                    build_spec(dataclasses.replace(SPEC, mounts=mine))["mounts"]]
    assert [d for d in destinations if d.startswith("/dev")] == ["/dev"]
