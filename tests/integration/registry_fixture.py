"""A real registry for the tests: Debian's ``docker-registry`` with a config of our
own (listening on 127.0.0.1 only, storage in the test's directory), anonymous,
with htpasswd Basic auth, or with Bearer tokens from ``token_issuer.py``.

It runs inside the test's network namespace (``nsenter --net``), where pycompose
runs too, so ``127.0.0.1:5000`` is the same address for both and nothing listens
on the host.  Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.conftest import Stack

HERE = Path(__file__).resolve().parent
USER = "tester"
PASSWORD = "secret-pw"
# bcrypt (cost 5) of PASSWORD: the registry's htpasswd accepts bcrypt only.
BCRYPT = "$2b$05$Ny0ln7bkp5rZKnqALwk.2.kV3FNDEgHl2DqByEoxV6zOPgslk0ioa"
SERVICE = "pycompose-test-registry"
ISSUER = "pycompose-test-issuer"
REGISTRY_PORT = 5000
TOKEN_PORT = 5001


@dataclass
class Registry:
    host: str
    auth: str  # "none" | "basic" | "token"
    directory: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def log_path(self) -> Path:
        return self.directory / "registry.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def requests(self, method: str = "", path_part: str = "") -> list[str]:
        """Access-log lines (``"GET /v2/... HTTP/1.1" 200 ...``) matching both filters."""
        return [line for line in self.log().splitlines()
                if '" ' in line and "HTTP/1.1" in line and f'"{method}' in line
                and path_part in line]

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()


def _prefix(netns: str | None) -> list[str]:
    return ["nsenter", f"--net=/run/netns/{netns}", "--"] if netns else []


def _config(directory: Path, auth: str) -> dict[str, object]:
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "info", "formatter": "text"},
        "storage": {"filesystem": {"rootdirectory": str(directory / "data")},
                    "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{REGISTRY_PORT}", "secret": "pycompose-tests"},
    }
    if auth == "basic":
        (directory / "htpasswd").write_text(f"{USER}:{BCRYPT}\n")
        config["auth"] = {"htpasswd": {"realm": "pycompose-tests",
                                       "path": str(directory / "htpasswd")}}
    elif auth == "token":
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=pycompose-test-issuer",
                        "-keyout", str(directory / "token.key"),
                        "-out", str(directory / "token.crt")], check=True, capture_output=True)
        config["auth"] = {"token": {
            "realm": f"http://127.0.0.1:{TOKEN_PORT}/token", "service": SERVICE,
            "issuer": ISSUER, "rootcertbundle": str(directory / "token.crt")}}
    return config


def start_registry(directory: Path, auth: str, netns: str | None) -> Registry:
    directory.mkdir(parents=True, exist_ok=True)
    registry = Registry(f"127.0.0.1:{REGISTRY_PORT}", auth, directory)
    config = directory / "config.yml"
    config.write_text(json.dumps(_config(directory, auth)))  # JSON is YAML
    try:
        if auth == "token":
            issuer = subprocess.Popen(
                [*_prefix(netns), sys.executable, str(HERE / "token_issuer.py"),
                 str(TOKEN_PORT), str(directory / "token.key"), str(directory / "token.crt"),
                 ISSUER, SERVICE, USER, PASSWORD],
                stdout=subprocess.PIPE, stderr=open(directory / "issuer.log", "wb"))  # noqa: SIM115
            registry.processes.append(issuer)
            assert issuer.stdout is not None
            if issuer.stdout.readline().strip() != b"ready":
                raise AssertionError("the token issuer did not start: "
                                     + (directory / "issuer.log").read_text())
        with open(registry.log_path, "wb") as log:
            registry.processes.append(subprocess.Popen(
                [*_prefix(netns), "docker-registry", "serve", str(config)],
                stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 15
        while "listening on" not in registry.log():
            if time.monotonic() > deadline or registry.processes[-1].poll() is not None:
                raise AssertionError(f"docker-registry did not start:\n{registry.log()}")
            time.sleep(0.05)
    except BaseException:
        registry.stop()
        raise
    return registry


def _require_registry() -> None:
    if not shutil.which("docker-registry"):
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")


@pytest.fixture
def registry_stack(busybox_stack: Stack, tmp_path: Path) -> Stack:
    """A stack with busybox and a Docker client config of its own (never ~/.docker)."""
    busybox_stack.env["DOCKER_CONFIG"] = str(tmp_path / "docker-config")
    return busybox_stack


def open_registry(stack: Stack, directory: Path, auth: str) -> Iterator[Registry]:
    _require_registry()
    registry = start_registry(directory, auth, stack.netns)
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture
def registry(registry_stack: Stack, tmp_path: Path) -> Iterator[Registry]:
    """An anonymous registry at 127.0.0.1:5000 in the stack's namespace."""
    yield from open_registry(registry_stack, tmp_path / "registry", "none")


@pytest.fixture(params=["basic", "token"])
def auth_registry(request: pytest.FixtureRequest, registry_stack: Stack,
                  tmp_path: Path) -> Iterator[Registry]:
    """A registry asking for USER/PASSWORD: htpasswd Basic auth, or Bearer tokens."""
    yield from open_registry(registry_stack, tmp_path / "registry", request.param)
