"""runtime/distribution/credentials.py: Docker's config.json read and written as the docker CLI
does, other keys kept."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from common.errors import ImageError
from runtime.distribution.credentials import Credentials, config_path, erase, lookup, store


def env(tmp_path: Path) -> dict[str, str]:
    return {"DOCKER_CONFIG": str(tmp_path / "cfg"), "HOME": str(tmp_path / "home")}


def write(tmp_path: Path, value: object) -> None:
    (tmp_path / "cfg").mkdir(exist_ok=True)
    (tmp_path / "cfg" / "config.json").write_text(json.dumps(value))


def test_config_path() -> None:
    assert config_path({"DOCKER_CONFIG": "/x"}) == Path("/x/config.json")
    assert config_path({"HOME": "/home/me"}) == Path("/home/me/.docker/config.json")


def test_lookup_auth_field_and_url_keys(tmp_path: Path) -> None:
    auth = base64.b64encode(b"me:p:ss").decode()
    write(tmp_path, {"auths": {"https://reg.example:5000/v1/": {"auth": auth},
                               "https://index.docker.io/v1/": {"username": "hub",
                                                               "password": "pw"}}})
    assert lookup("reg.example:5000", env(tmp_path)) == Credentials("me", "p:ss")
    assert lookup("docker.io", env(tmp_path)) == Credentials("hub", "pw")
    assert lookup("other", env(tmp_path)) is None
    assert "p:ss" not in repr(lookup("reg.example:5000", env(tmp_path)))


def test_lookup_without_config(tmp_path: Path) -> None:
    assert lookup("docker.io", env(tmp_path)) is None


def test_identity_token(tmp_path: Path) -> None:
    write(tmp_path, {"auths": {"r.example": {"identitytoken": "refresh"}}})
    assert lookup("r.example", env(tmp_path)) == Credentials(identity_token="refresh")


def test_broken_config_is_one_clear_error(tmp_path: Path) -> None:
    write(tmp_path, {"auths": {"r.example": {"auth": "!!notbase64"}}})
    with pytest.raises(ImageError, match="invalid auth field"):
        lookup("r.example", env(tmp_path))
    (tmp_path / "cfg" / "config.json").write_text("{nope")
    with pytest.raises(ImageError, match="cannot read"):
        lookup("r.example", env(tmp_path))


def test_missing_credential_helper_falls_back_to_auths(tmp_path: Path) -> None:
    auth = base64.b64encode(b"u:p").decode()
    write(tmp_path, {"credsStore": "pycompose-test-nonexistent",
                     "auths": {"r.example": {"auth": auth}}})
    assert lookup("r.example", env(tmp_path)) == Credentials("u", "p")


def test_store_and_erase_keep_other_keys(tmp_path: Path) -> None:
    write(tmp_path, {"auths": {"keep.example": {"auth": "a2VlcDptZQ=="},
                               "https://r.example/v1/": {"auth": "b2xkOm9sZA=="}},
                     "psFormat": "table"})
    path = store("r.example", Credentials("new", "secret"), env(tmp_path))
    saved = json.loads(path.read_text())
    assert saved["psFormat"] == "table"
    assert saved["auths"]["r.example"] == {"auth": base64.b64encode(b"new:secret").decode()}
    assert "https://r.example/v1/" not in saved["auths"]
    assert path.stat().st_mode & 0o777 == 0o600
    assert lookup("r.example", env(tmp_path)) == Credentials("new", "secret")
    assert erase("r.example", env(tmp_path))
    assert not erase("r.example", env(tmp_path))
    assert list(json.loads(path.read_text())["auths"]) == ["keep.example"]


def test_docker_hub_is_stored_under_its_historic_key(tmp_path: Path) -> None:
    path = store("docker.io", Credentials("u", "p"), env(tmp_path))
    assert list(json.loads(path.read_text())["auths"]) == ["https://index.docker.io/v1/"]


def test_store_replaces_the_file_atomically_and_owner_only(tmp_path: Path) -> None:
    write(tmp_path, {"auths": {}, "psFormat": "table"})
    old = tmp_path / "cfg" / "config.json"
    old.chmod(0o644)
    os.link(old, tmp_path / "before")  # the old inode, to tell a rewrite from a rename
    path = store("r.example", Credentials("u", "secret"), env(tmp_path))
    assert path == old and path.stat().st_mode & 0o777 == 0o600
    assert path.stat().st_ino != (tmp_path / "before").stat().st_ino
    assert "r.example" not in (tmp_path / "before").read_text()  # never written in place
    assert sorted(os.listdir(tmp_path / "cfg")) == ["config.json"]  # no temporary left
    assert erase("r.example", env(tmp_path))
    assert path.stat().st_mode & 0o777 == 0o600


def test_store_makes_an_owner_only_directory(tmp_path: Path) -> None:
    path = store("r.example", Credentials("u", "p"), env(tmp_path))
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
