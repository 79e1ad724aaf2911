"""``pycompose publish`` against a real registry (docker-registry on 127.0.0.1 in
the test's own network namespace): the artifact is fetched back and its media
types, annotations and bytes checked as docker compose v2.40 writes them."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from compose import __version__
from tests.integration import registry_fixture
from tests.integration.conftest import Stack
from tests.integration.registry_fixture import Registry

registry_stack = registry_fixture.registry_stack
registry = registry_fixture.registry

REGISTRY = "127.0.0.1:5000"
ACCEPT = "application/vnd.oci.image.manifest.v1+json"
_GET = """
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={"Accept": sys.argv[2]})
sys.stdout.buffer.write(urllib.request.urlopen(request).read())
"""


def fetch(stack: Stack, path: str) -> bytes:
    """GET ``path`` from the registry, inside the test's namespace."""
    return subprocess.run(
        ["nsenter", f"--net=/run/netns/{stack.netns}", "--", sys.executable, "-c", _GET,
         f"http://{REGISTRY}{path}", ACCEPT], check=True, capture_output=True).stdout


def manifest(stack: Stack, repository: str, tag: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(fetch(stack, f"/v2/{repository}/manifests/{tag}"))
    return document


def blob(stack: Stack, repository: str, descriptor: dict[str, Any]) -> bytes:
    data = fetch(stack, f"/v2/{repository}/blobs/{descriptor['digest']}")
    assert "sha256:" + hashlib.sha256(data).hexdigest() == descriptor["digest"]
    assert len(data) == descriptor["size"]
    assert base64.b64decode(descriptor["data"]) == data  # embedded, as docker compose does
    return data


def files(directory: Path, **contents: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in contents.items():
        (directory / name.replace("_", ".")).write_text(textwrap.dedent(text).lstrip())
    return directory


def sha(path: Path, suffix: str) -> str:
    return hashlib.sha256(str(path).encode()).hexdigest() + suffix


def test_publish_pushes_each_file_as_a_layer(registry_stack: Stack, registry: Registry,
                                             tmp_path: Path) -> None:
    directory = files(
        tmp_path / "app",
        compose_yaml="""
            services:
              web:
                extends:
                  file: base.yaml   # a comment the rewrite drops, as docker's does
                  service: base
                env_file: ./app.env
                environment:
                  MODE: prod
        """,
        compose_override_yaml="""
            services:
              web:
                labels: [tier=front]
        """,
        base_yaml="""
            services:
              base:
                image: busybox
                command: ["true"]
        """,
        app_env="TOKEN=abc\n",
    )
    result = registry_stack.run("publish", "--with-env", f"{REGISTRY}/apps/demo:1",
                                cwd=directory)
    assert "Published" in result.stderr
    document = manifest(registry_stack, "apps/demo", "1")
    assert document["mediaType"] == ACCEPT
    assert document["artifactType"] == "application/vnd.docker.compose.project"
    assert document["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert blob(registry_stack, "apps/demo", document["config"]) == b"{}"
    assert "org.opencontainers.image.created" in document["annotations"]
    layers = document["layers"]
    assert [layer["mediaType"] for layer in layers] == [
        "application/vnd.docker.compose.file+yaml"] * 3 + [
        "application/vnd.docker.compose.envfile"]
    base, env = sha(directory / "base.yaml", ".yaml"), sha(directory / "app.env", ".env")
    assert [layer["annotations"] for layer in layers] == [
        {"com.docker.compose.file": "compose.yaml", "com.docker.compose.version": __version__},
        {"com.docker.compose.file": "compose.override.yaml",
         "com.docker.compose.version": __version__},
        {"com.docker.compose.file": base, "com.docker.compose.version": __version__,
         "com.docker.compose.extends": "true"},
        {"com.docker.compose.envfile": env, "com.docker.compose.version": __version__},
    ]
    main = (directory / "compose.yaml").read_text()
    main = main.replace("base.yaml   # a comment the rewrite drops, as docker's does", base)
    assert blob(registry_stack, "apps/demo", layers[0]).decode() == \
        main.replace("./app.env", env)
    assert blob(registry_stack, "apps/demo", layers[1]) == \
        (directory / "compose.override.yaml").read_bytes()
    assert blob(registry_stack, "apps/demo", layers[2]) == \
        (directory / "base.yaml").read_bytes()
    assert blob(registry_stack, "apps/demo", layers[3]) == b"TOKEN=abc\n"


def test_publish_oci_1_0_and_pinned_digests(registry_stack: Stack, registry: Registry,
                                            tmp_path: Path) -> None:
    stack = registry_stack
    image = f"{REGISTRY}/lib/busybox:1"
    stack.run("image", "tag", "busybox", image)
    stack.run("image", "push", image)
    pushed = json.loads(stack.run("image", "inspect", image).stdout)[0]["Manifest"]["digest"]
    directory = files(tmp_path / "pinned", compose_yaml=f"""
        services:
          job:
            image: {image}
            volumes: ["./data:/data"]
    """)
    refused = stack.run("publish", f"{REGISTRY}/apps/pinned:v2", cwd=directory, check=False)
    assert refused.returncode == 1
    assert "bind mounts" in refused.stderr and "job: " in refused.stderr
    stack.run("publish", "-y", "--oci-version", "1.0", "--resolve-image-digests",
              f"{REGISTRY}/apps/pinned:v2", cwd=directory)
    document = manifest(stack, "apps/pinned", "v2")
    assert "artifactType" not in document  # OCI 1.0 has none: the config says what it is
    assert document["config"]["mediaType"] == \
        "application/vnd.docker.compose.config.empty.v1+json"
    assert blob(stack, "apps/pinned", document["config"]) == b"{}"
    files_, digests = document["layers"]
    assert blob(stack, "apps/pinned", files_) == (directory / "compose.yaml").read_bytes()
    assert digests["annotations"]["com.docker.compose.file"] == "image-digests.yaml"
    assert blob(stack, "apps/pinned", digests).decode() == \
        f"services:\n  job:\n    image: {image}@{pushed}\n"
