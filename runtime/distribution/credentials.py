"""Registry credentials in Docker's client config (``~/.docker/config.json``).

Read as the docker CLI reads them: ``DOCKER_CONFIG`` names the directory, ``auths``
maps a server (``host[:port]``, or ``https://index.docker.io/v1/`` for Docker Hub)
to ``auth`` (base64 ``user:password``) or ``username``/``password`` and maybe an
``identitytoken``; ``credHelpers``/``credsStore`` name ``docker-credential-*``
helpers.  ``login`` writes ``auths`` atomically, keeping every other key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.errors import ImageError
from common.statefiles import write_atomic
from runtime.images.reference import DEFAULT_REGISTRY

HUB_SERVER = "https://index.docker.io/v1/"
_HUB_HOSTS = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""

    def __repr__(self) -> str:  # never print a secret by accident
        return f"Credentials(username={self.username!r}, password=***)"


def config_path(environ: Mapping[str, str]) -> Path:
    directory = environ.get("DOCKER_CONFIG")
    if directory:
        return Path(directory) / "config.json"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".docker" / "config.json"


def server_key(registry: str) -> str:
    """The key ``docker login`` writes for ``registry``."""
    return HUB_SERVER if registry in _HUB_HOSTS else registry


def _hostname(key: str) -> str:
    """Docker's ConvertToHostname: a key may be a URL."""
    for prefix in ("http://", "https://"):
        key = key.removeprefix(prefix)
    host = key.split("/", 1)[0]
    return DEFAULT_REGISTRY if host in _HUB_HOSTS else host


def read_config(environ: Mapping[str, str]) -> dict[str, Any]:
    path = config_path(environ)
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ImageError(f"cannot read {path}: {exc}") from None
    if not isinstance(value, dict):
        raise ImageError(f"{path} is not a JSON object")
    return value


def lookup(registry: str, environ: Mapping[str, str]) -> Credentials | None:
    """The credentials stored for ``registry``, if any."""
    config = read_config(environ)
    wanted = _hostname(registry)
    helper = (config.get("credHelpers") or {}).get(registry) or config.get("credsStore")
    if helper:
        found = _from_helper(str(helper), server_key(registry), environ)
        if found is not None:
            return found
    for key, entry in (config.get("auths") or {}).items():
        if _hostname(key) == wanted and isinstance(entry, dict):
            return _decode(entry, config_path(environ))
    return None


def _decode(entry: dict[str, Any], path: Path) -> Credentials | None:
    username, password = str(entry.get("username") or ""), str(entry.get("password") or "")
    if entry.get("auth"):
        try:
            decoded = base64.b64decode(str(entry["auth"]), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise ImageError(f"{path}: invalid auth field") from None
        username, sep, password = decoded.partition(":")
        if not sep:
            raise ImageError(f"{path}: invalid auth field (no ':')")
    token = str(entry.get("identitytoken") or "")
    if not (username or password or token):
        return None
    return Credentials(username, password, token)


def _from_helper(helper: str, server: str, environ: Mapping[str, str]) -> Credentials | None:
    program = f"docker-credential-{helper}"
    try:
        result = subprocess.run([program, "get"], input=server, capture_output=True, text=True,
                                timeout=30, env=dict(environ))
    except FileNotFoundError:
        return None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ImageError(f"credential helper {program} failed: {exc}") from None
    if result.returncode != 0:
        return None  # "credentials not found in native keychain"
    try:
        value = json.loads(result.stdout)
        username, secret = str(value["Username"]), str(value["Secret"])
    except (ValueError, KeyError, TypeError):
        raise ImageError(f"credential helper {program} printed invalid JSON") from None
    if username == "<token>":
        return Credentials(identity_token=secret)
    return Credentials(username, secret)


def store(registry: str, credentials: Credentials, environ: Mapping[str, str]) -> Path:
    """Save ``credentials`` for ``registry`` (mode 0600); returns the file written."""
    config = read_config(environ)
    auths = config.setdefault("auths", {})
    for key in [k for k in auths if _hostname(k) == _hostname(registry)]:
        del auths[key]
    token = f"{credentials.username}:{credentials.password}".encode()
    auths[server_key(registry)] = {"auth": base64.b64encode(token).decode()}
    return _write(config, environ)


def erase(registry: str, environ: Mapping[str, str]) -> bool:
    """Forget the credentials for ``registry``; False if there were none."""
    config = read_config(environ)
    auths = config.get("auths") or {}
    keys = [k for k in auths if _hostname(k) == _hostname(registry)]
    if not keys:
        return False
    for key in keys:
        del auths[key]
    _write(config, environ)
    return True


def _write(config: dict[str, Any], environ: Mapping[str, str]) -> Path:
    path = config_path(environ)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(config, indent="\t") + "\n").encode(), mode=0o600)
    os.chmod(path, 0o600)
    return path
