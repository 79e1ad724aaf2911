"""Storage, pure parts: the model built from a file (compose/spec/load/storagebuild.py), the
OCI mounts (volumes/mounts.py), the local driver's rules (volumes/local.py), the
volume verbs' output (compose/cli/views/volumelist.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from common.records import ContainerRecord, VolumeRecord
from compose.cli.views.volumelist import inspect, json_line, parse_pairs, prunable, table, users
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import FileGrant, Mount, Project, Service, Volume
from volumes.local import DriverError, anonymous_volume, check_driver, check_name, project_volume
from volumes.mounts import MountError, Populate, anonymous_targets, plan_mounts, volume_names


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Project:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent(text))
    return load_project(LoadOptions(cwd=str(tmp_path), environ=environ or {},
                                    project_name="demo")).project


FILE = """
    services:
      app:
        image: busybox
        volumes:
          - data:/data
          - ./conf:/conf:ro
          - /anon
          - type: tmpfs
            target: /mem
            tmpfs: {size: 1m, mode: 0o1770}
          - {type: volume, source: data, target: /sub, volume: {subpath: x, nocopy: true}}
          - {type: bind, source: ~/h, target: /h, bind: {propagation: rshared}}
        volumes_from: [other:ro]
        secrets: [token, {source: env, target: renamed, uid: "1", gid: "2", mode: 0o400}]
        configs: [inline, {source: plain, target: /etc/plain}]
      other:
        image: busybox
    volumes:
      data:
        labels: {tier: db}
        driver_opts: {type: tmpfs, device: tmpfs, o: size=1m}
      custom: {name: shared-name}
      ext: {external: true}
    secrets:
      token: {file: ./token.txt}
      env: {environment: TOKEN}
    configs:
      inline: {content: "text"}
      plain: {file: ./plain.conf}
"""


def test_model_from_file(tmp_path: Path) -> None:
    project = load(tmp_path, FILE, {"TOKEN": "t0k3n", "HOME": "/home/u"})
    data = project.volumes["data"]
    assert data == Volume("data", "demo_data", labels=data.labels,
                          driver_opts=data.driver_opts)
    assert dict(data.labels) == {"tier": "db"}
    assert dict(data.driver_opts) == {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}
    app = project.services["app"]
    mounts = {m.target: m for m in app.mounts}
    assert mounts["/data"].volume == data and mounts["/data"].source == "data"
    assert mounts["/conf"] == Mount("bind", "/conf", str(tmp_path / "conf"), read_only=True,
                                    create_host_path=True)
    assert mounts["/anon"] == Mount("volume", "/anon")
    assert mounts["/mem"] == Mount("tmpfs", "/mem", tmpfs_size=1 << 20, tmpfs_mode=0o1770)
    assert mounts["/sub"].subpath == "x" and mounts["/sub"].nocopy
    assert mounts["/h"].source == "/home/u/h" and mounts["/h"].propagation == "rshared"
    assert app.volumes_from == ("other:ro",)
    assert app.files == (
        FileGrant("secret", "token", "/run/secrets/token", file=str(tmp_path / "token.txt")),
        FileGrant("secret", "env", "/run/secrets/renamed", uid="1", gid="2", mode=0o400,
                  environment="TOKEN", content="t0k3n"),
        FileGrant("config", "inline", "/inline", content="text"),
        FileGrant("config", "plain", "/etc/plain", file=str(tmp_path / "plain.conf")),
    )


def test_names_external_and_no_warnings(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(textwrap.dedent("""
        services:
          app:
            image: busybox
            volumes: [custom:/c, ext:/e]
        volumes:
          custom: {name: shared-name}
          ext: {external: true}
    """))
    loaded = load_project(LoadOptions(cwd=str(tmp_path), environ={}, project_name="demo"))
    assert loaded.project.volumes["custom"].name == "shared-name"
    assert loaded.project.volumes["ext"] == Volume("ext", "ext", external=True)
    assert not [w for w in loaded.warnings if "volume" in w]


def test_config_hash_changes_with_a_mount(tmp_path: Path) -> None:
    from compose.planning.plan import config_hash

    one = load(tmp_path, "services: {a: {image: busybox, volumes: ['d:/x']}}\n"
                         "volumes: {d: {}}\n").services["a"]
    two = load(tmp_path, "services: {a: {image: busybox, volumes: ['d:/y']}}\n"
                         "volumes: {d: {}}\n").services["a"]
    assert config_hash(one, "i") != config_hash(two, "i")


# --- mounts ------------------------------------------------------------------------

DATA = Volume("data", "demo_data")


def service(*mounts: Mount, files: tuple[FileGrant, ...] = ()) -> Service:
    return Service("app", "busybox", mounts=mounts, files=files)


def opts(plan: Any) -> list[tuple[str, str, str, list[str]]]:
    return [(m["destination"], m["type"], m["source"], m["options"]) for m in plan.mounts]


def test_anonymous_targets_from_file_and_image() -> None:
    svc = service(Mount("volume", "/a"), Mount("volume", "/named", "data", volume=DATA),
                  Mount("bind", "/covered", "/host"))
    assert anonymous_targets(svc, ["/covered", "/img/", "/a"]) == ["/a", "/img"]
    names = volume_names(svc, {"/a": "x" * 64})
    assert names == {"/named": "demo_data", "/a": "x" * 64}


def test_volume_bind_tmpfs_mounts() -> None:
    svc = service(
        Mount("volume", "/data", "data", volume=DATA),
        Mount("volume", "/data/sub", "data", volume=DATA, subpath="a/b", read_only=True),
        Mount("bind", "/conf", "/srv/conf", read_only=True, create_host_path=True),
        Mount("bind", "/p", "/srv/p", propagation="rshared", recursive="disabled"),
        Mount("tmpfs", "/mem", tmpfs_size=1024, tmpfs_mode=0o1777),
        files=(FileGrant("secret", "s", "/run/secrets/s"),),
    )
    plan = plan_mounts(svc, {"/data": "demo_data", "/data/sub": "demo_data"},
                       {"demo_data": "/v/demo_data/_data"}, {},
                       files={"/run/secrets/s": "/c/files/0-secret-s"})
    assert opts(plan) == [
        ("/conf", "bind", "/srv/conf", ["rbind", "rprivate", "ro"]),
        ("/data", "bind", "/v/demo_data/_data", ["rbind", "rprivate"]),
        ("/mem", "tmpfs", "tmpfs", ["rw", "noexec", "nosuid", "nodev", "size=1024",
                                    "mode=1777"]),
        ("/p", "bind", "/srv/p", ["bind", "rshared"]),
        ("/data/sub", "bind", "/v/demo_data/_data/a/b", ["rbind", "rprivate", "ro"]),
        ("/run/secrets/s", "bind", "/c/files/0-secret-s", ["rbind", "rprivate", "ro"]),
    ]
    assert plan.create_paths == ("/srv/conf",)
    assert [p for p, _ in plan.required_paths] == ["/srv/p", "/v/demo_data/_data/a/b"]
    assert plan.populate == (Populate("demo_data", "/v/demo_data/_data", "/data"),)


def test_missing_long_bind_message_and_nocopy() -> None:
    svc = service(Mount("bind", "/x", "/nope"),
                  Mount("volume", "/d", "data", volume=DATA, nocopy=True))
    plan = plan_mounts(svc, {"/d": "demo_data"}, {"demo_data": "/v"}, {})
    assert plan.required_paths == (("/nope", 'services.app.volumes: invalid mount config for '
                                    'type "bind": bind source path does not exist: /nope'),)
    assert plan.populate == ()


def test_selinux_label_is_a_note_without_selinux() -> None:
    svc = service(Mount("bind", "/x", "/h", selinux="z", create_host_path=True))
    assert "SELinux is not enabled" in plan_mounts(svc, {}, {}, {}).warnings[0]
    assert plan_mounts(svc, {}, {}, {}, selinux=True).warnings == ()


@pytest.mark.parametrize(("mount", "message"), [
    (Mount("volume", "/d", "data", volume=DATA, subpath="../up"), "must stay inside"),
    (Mount("bind", "relative", "/h"), "must be absolute"),
    (Mount("bind", "/x", "/h", propagation="sideways"), "invalid propagation"),
    (Mount("npipe", "/x", "p"), "not supported"),
])
def test_mount_errors(mount: Mount, message: str) -> None:
    volumes = {"/d": "demo_data"} if mount.type == "volume" else {}
    with pytest.raises(MountError, match=message):
        plan_mounts(service(mount), volumes, {"demo_data": "/v"}, {})


def test_driver_opts_volumes() -> None:
    svc = service(Mount("volume", "/t", "data", volume=DATA),
                  Mount("volume", "/b", "data", volume=DATA, read_only=True))
    tmpfs = {"type": "tmpfs", "device": "tmpfs", "o": "size=1m,uid=1000"}
    bind = {"type": "none", "o": "bind", "device": "/srv/x"}
    plan = plan_mounts(svc, {"/t": "t", "/b": "b"}, {"t": "/v/t", "b": "/v/b"},
                       {"t": tmpfs, "b": bind})
    assert opts(plan) == [("/b", "bind", "/srv/x", ["rbind", "rprivate", "ro"]),
                          ("/t", "tmpfs", "tmpfs", ["size=1m", "uid=1000"])]
    assert plan.populate == ()


def test_volumes_from_modes() -> None:
    theirs = [{"destination": "/a", "type": "bind", "source": "/h", "options":
               ["rbind", "rprivate", "ro"], "x-kind": "bind"}]
    for mode, expected in (("", ["rbind", "rprivate", "ro"]), ("rw", ["rbind", "rprivate"]),
                           ("ro", ["rbind", "rprivate", "ro"])):
        plan = plan_mounts(service(), {}, {}, {}, inherited=[(theirs, mode)])
        assert plan.mounts[0]["options"] == expected


# --- the local driver ---------------------------------------------------------------

@pytest.mark.parametrize(("driver", "options", "message"), [
    ("nfs-plugin", {}, "volume driver 'nfs-plugin' is not available"),
    ("local", {"colour": "red"}, "invalid option key: 'colour'"),
    ("local", {"o": "bind"}, "needs a device"),
    ("local", {"device": "/x"}, "needs a type"),
])
def test_driver_errors(driver: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(DriverError, match=message):
        check_driver(driver, options, "volumes.x")


def test_driver_accepts_docker_forms() -> None:
    check_driver("local", {}, "v")
    check_driver("", {"type": "tmpfs", "device": "tmpfs", "o": "size=1m"}, "v")
    check_driver("local", {"type": "none", "o": "bind", "device": "/x"}, "v")
    with pytest.raises(DriverError):
        check_name("-bad")
    check_name("good_name.1")


def test_records_carry_ownership() -> None:
    record = project_volume("demo", Volume("data", "demo_data", labels={"a": "b"}), 5.0)
    assert record.project == "demo" and not record.anonymous
    assert record.labels == {"a": "b", "com.docker.compose.project": "demo",
                             "com.docker.compose.volume": "data",
                             "com.docker.compose.version": "2"}
    anon = anonymous_volume("f" * 64, 5.0, "demo")
    assert anon.anonymous and anon.project == "demo"
    assert VolumeRecord.from_json(record.to_json()) == record


# --- volume verbs -------------------------------------------------------------------

def test_table_json_inspect() -> None:
    volumes = [VolumeRecord("a", labels={"x": "1", "b": "2"}, created=0.0),
               VolumeRecord("long-volume-name")]
    assert table(volumes) == "DRIVER    VOLUME NAME\nlocal     a\nlocal     long-volume-name"
    assert json_line(volumes[0], "/m") == (
        '{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"b=2,x=1",'
        '"Links":"N/A","Mountpoint":"/m","Name":"a","Scope":"local","Size":"N/A",'
        '"Status":"N/A"}')
    assert inspect(volumes[1], "/m") == {
        "CreatedAt": "1970-01-01T00:00:00Z", "Driver": "local", "Labels": None,
        "Mountpoint": "/m", "Name": "long-volume-name", "Options": None, "Scope": "local"}


def test_prune_choice_and_pairs() -> None:
    record = ContainerRecord("c" * 64, "p-app-1", "p", "app", 1, "busybox", "sha256:x",
                             "h", 0.0, (), "host", "/runc", volumes={"/d": "used"})
    used = users([record])
    volumes = {"used": VolumeRecord("used", labels={"com.docker.volume.anonymous": ""}),
               "anon": VolumeRecord("anon", labels={"com.docker.volume.anonymous": ""}),
               "named": VolumeRecord("named")}
    assert [v.name for v in prunable(volumes, used, all_volumes=False)] == ["anon"]
    assert [v.name for v in prunable(volumes, used, all_volumes=True)] == ["anon", "named"]
    assert parse_pairs(["a=b", "c"], "label") == {"a": "b", "c": ""}
    with pytest.raises(ValueError):
        parse_pairs(["c"], "option")


def test_config_hash_without_storage_is_unchanged() -> None:
    from compose.planning.plan import config_hash

    plain = Service("a", "busybox")
    # the hash of a service without storage, as it was before storage existed
    assert config_hash(plain, "i") == \
        "595fcb04140081697ed8b0e17811f46d1bba4eca4fac78d596ffc703d00904f1"
    assert config_hash(plain, "i") != config_hash(service(Mount("volume", "/x")), "i")


def test_a_tmpfs_covers_an_image_volume() -> None:
    from types import MappingProxyType

    svc = Service("app", "busybox", canonical=MappingProxyType({"tmpfs": ["/run:size=1m"]}))
    assert anonymous_targets(svc, ["/run", "/data"]) == ["/data"]
    svc = Service("app", "busybox", canonical=MappingProxyType({"tmpfs": "/data"}))
    assert anonymous_targets(svc, ["/data"]) == []


def test_hooks_change_the_hash_only_through_the_canonical_form() -> None:
    """Typed hooks leave the hash alone (no recreate after an upgrade); changing them
    in the file changes it, as docker compose recreates for it."""
    from dataclasses import replace
    from types import MappingProxyType

    from compose.planning.plan import config_hash
    from compose.spec.model import Hook

    plain = Service("a", "busybox")
    typed = replace(plain, post_start=(Hook(("true",)),), pre_stop=(Hook(("true",)),))
    assert config_hash(typed, "i") == config_hash(plain, "i")
    hooked = replace(typed, canonical=MappingProxyType({"post_start": [{"command": ["true"]}]}))
    assert config_hash(hooked, "i") != config_hash(plain, "i")
