"""compose/spec/syntax/volumespec.py: volume short syntax (checked against docker
compose v2.40.3)."""

from __future__ import annotations

import pytest

from compose.spec.syntax.volumespec import (
    VolumeSpecError,
    clean_target,
    parse_volume,
    resolve_source,
)


def test_anonymous_volume() -> None:
    assert parse_volume("/data") == {"type": "volume", "target": "/data", "volume": {}}


def test_named_volume_with_options() -> None:
    assert parse_volume("named:/n:nocopy") == {
        "type": "volume", "source": "named", "target": "/n", "volume": {"nocopy": True}}
    assert parse_volume("named:/n:ro") == {
        "type": "volume", "source": "named", "target": "/n", "read_only": True, "volume": {}}


@pytest.mark.parametrize("source", ["./rel", "../up", "/abs", "~/h", ".", "c:\\win"])
def test_paths_are_binds(source: str) -> None:
    volume = parse_volume(f"{source}:/t")
    assert volume["type"] == "bind"
    assert volume["bind"] == {"create_host_path": True}


def test_options_of_the_other_type_are_kept() -> None:
    assert parse_volume("/a:/b:ro,nocopy") == {
        "type": "bind", "source": "/a", "target": "/b", "read_only": True,
        "bind": {"create_host_path": True}, "volume": {"nocopy": True}}
    assert parse_volume("vol:/b:rw,z") == {
        "type": "volume", "source": "vol", "target": "/b", "bind": {"selinux": "z"},
        "volume": {}}


def test_windows_drive_letters() -> None:
    assert parse_volume("x:/a:/b")["source"] == "x:/a"
    assert parse_volume("a::b") == {"type": "bind", "source": "a:", "target": "b",
                                    "bind": {"create_host_path": True}}


def test_bind_options() -> None:
    assert parse_volume("./x:/x:ro,z") == {
        "type": "bind", "source": "./x", "target": "/x", "read_only": True,
        "bind": {"selinux": "z", "create_host_path": True}}
    assert parse_volume("~/h:/h:Z,rshared")["bind"] == {
        "selinux": "Z", "propagation": "rshared", "create_host_path": True}


@pytest.mark.parametrize(("spec", "message"), [
    ("", "invalid empty volume spec"),
    ("ab::/c", "invalid spec: ab::/c: empty section between colons"),
    (":/x", "empty section between colons"),
    ("ab:/b:ro:x", "invalid spec: ab:/b:ro:x: too many colons"),
])
def test_invalid_specs(spec: str, message: str) -> None:
    with pytest.raises(VolumeSpecError, match=message):
        parse_volume(spec)


def test_sources_resolved_against_the_project_and_home() -> None:
    env = {"HOME": "/home/me"}
    assert resolve_source("./a//b/", "/p", env) == "/p/a/b"
    assert resolve_source("../up", "/p/q", env) == "/p/up"
    assert resolve_source("~/h", "/p", env) == "/home/me/h"
    assert resolve_source("~", "/p", env) == "/home/me"
    # absolute sources are kept exactly as written
    assert resolve_source("/x/./y/../z/", "/p", env) == "/x/./y/../z/"


def test_targets_are_cleaned() -> None:
    assert clean_target("/media/") == "/media"
    assert clean_target("/t/./u/") == "/t/u"


@pytest.mark.parametrize(("spec", "source", "target", "read_only"), [
    ("./x:/time/${T:-12:30:45}:ro", "./x", "/time/${T:-12:30:45}", True),
    ("./y:${TGT:-/y}:rw", "./y", "${TGT:-/y}", None),
    ("${SRC:-./data}:/t:ro", "${SRC:-./data}", "/t", True),
    ("${A:-a}:${B:-b}", "${A:-a}", "${B:-b}", None),
    ("./z:/z/${A}${B:-{x}}", "./z", "/z/${A}${B:-{x}}", None),
    ("./n:/n/${A:-${B:-1:2}}:ro", "./n", "/n/${A:-${B:-1:2}}", True),
    ("$${HOME}:/h", "$${HOME}", "/h", None),
])
def test_colons_inside_variables_do_not_split(spec: str, source: str, target: str,
                                              read_only: bool | None) -> None:
    """compose-go's ParseVolume: what a spec still holding its variables means
    (``--no-interpolate``, ``$${`` escapes), as docker compose v2.40.3 prints it."""
    volume = parse_volume(spec)
    assert (volume["source"], volume["target"], volume.get("read_only")) == \
        (source, target, read_only)


def test_an_unclosed_variable_swallows_the_rest_as_compose_go_does() -> None:
    assert parse_volume("./a:/b/${X:-1:ro") == {
        "type": "bind", "source": "./a", "bind": {"create_host_path": True}}


def test_colons_outside_variables_still_split() -> None:
    with pytest.raises(VolumeSpecError, match="too many colons"):
        parse_volume("./x:/time/12:30:45:ro")
