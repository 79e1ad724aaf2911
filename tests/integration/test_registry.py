"""Pull and push against a real registry (docker-registry on 127.0.0.1 in the test's
namespace): round trips cross-checked by digest and by skopeo, Basic and Bearer
authentication with login/logout, platform selection from an image index,
resumed downloads, and ``up`` pulling per ``pull_policy``."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
import textwrap
from pathlib import Path
from typing import Any

from tests.integration import registry_fixture
from tests.integration.conftest import Stack
from tests.integration.registry_fixture import PASSWORD, USER, Registry, open_registry

registry_stack = registry_fixture.registry_stack
registry = registry_fixture.registry
auth_registry = registry_fixture.auth_registry

BUSYBOX = "127.0.0.1:5000/lib/busybox:1"


def inspect(stack: Stack, name: str) -> dict[str, Any]:
    result: list[dict[str, Any]] = json.loads(stack.run("image", "inspect", name).stdout)
    return result[0]


def skopeo_raw(stack: Stack, name: str, *args: str) -> bytes:
    """The manifest as skopeo, an independent client, reads it from the registry."""
    return subprocess.run(
        ["nsenter", f"--net=/run/netns/{stack.netns}", "--", "skopeo", "inspect", "--raw",
         "--tls-verify=false", *args, f"docker://{name}"],
        check=True, capture_output=True).stdout


def push_busybox(stack: Stack, name: str = BUSYBOX) -> dict[str, Any]:
    stack.run("image", "tag", "busybox", name)
    stack.run("image", "push", name)
    return inspect(stack, name)


def write_compose(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_text(textwrap.dedent(text))
    return directory


def test_push_then_pull_round_trip(registry_stack: Stack, registry: Registry) -> None:
    stack = registry_stack
    local = push_busybox(stack)
    digest = local["Manifest"]["digest"]
    raw = skopeo_raw(stack, BUSYBOX)
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digest
    assert json.loads(raw)["config"]["digest"] == local["Id"]

    stack.run("image", "rm", BUSYBOX, "busybox")
    assert stack.run("images", "-q").stdout.strip() == ""
    assert not list((stack.layout.images / "blobs" / "sha256").iterdir())
    assert not list(stack.layout.layers.glob("*"))

    pulled = stack.run("image", "pull", BUSYBOX)
    assert f"{BUSYBOX}: {digest}" in pulled.stdout
    assert "Pull complete" in pulled.stderr
    again = inspect(stack, BUSYBOX)
    assert (again["Id"], again["Manifest"]["digest"]) == (local["Id"], digest)
    assert again["RepoDigests"] == [f"127.0.0.1:5000/lib/busybox@{digest}"]
    assert again["Layers"] == local["Layers"]
    unpacked = {p.name for p in stack.layout.layers.iterdir()}
    assert {d.removeprefix("sha256:") for d in again["RootFS"]["Layers"]} <= unpacked  # eagerly

    second = stack.run("image", "pull", BUSYBOX)
    assert "Already exists" in second.stderr
    layer = local["Layers"][0]["digest"]
    assert len(registry.requests("GET", f"/blobs/{layer}")) == 1


def test_up_pulls_missing_image_and_runs_it(registry_stack: Stack, registry: Registry,
                                            tmp_path: Path) -> None:
    stack = registry_stack
    pushed = push_busybox(stack)
    stack.run("image", "rm", BUSYBOX, "busybox")
    project = write_compose(tmp_path / "app", f"""
        services:
          web:
            image: {BUSYBOX}
            command: ["sh", "-c", "echo pulled and running; sleep 60"]
    """)
    result = stack.run("up", "-d", cwd=project)
    assert "web Pulled" in result.stderr
    assert inspect(stack, BUSYBOX)["Id"] == pushed["Id"]
    rows = [json.loads(line) for line in
            stack.run("ps", "--format", "json", cwd=project).stdout.splitlines()]
    assert [(r["Service"], r["State"], r["Image"]) for r in rows] == [
        ("web", "running", BUSYBOX)]
    stack.wait_for(lambda: "pulled and running" in stack.run("logs", cwd=project).stdout)
    manifests = len(registry.requests("GET", "/manifests/"))
    stack.run("up", "-d", cwd=project)  # present now: pull_policy missing asks nothing
    assert len(registry.requests("GET", "/manifests/")) == manifests
    stack.run("down", cwd=project)


def test_pull_policies(registry_stack: Stack, registry: Registry, tmp_path: Path) -> None:
    stack = registry_stack
    push_busybox(stack)
    project = write_compose(tmp_path / "policies", f"""
        services:
          always:
            image: {BUSYBOX}
            pull_policy: always
            command: ["sleep", "60"]
    """)
    stack.run("up", "-d", cwd=project)
    first = len(registry.requests("GET", "/manifests/"))
    assert first == 1
    stack.run("up", "-d", cwd=project)
    assert len(registry.requests("GET", "/manifests/")) == 2
    stack.run("down", cwd=project)

    stack.run("image", "rm", BUSYBOX)
    never = write_compose(tmp_path / "never", f"""
        services:
          app:
            image: {BUSYBOX}
            pull_policy: never
    """)
    result = stack.run("up", "-d", cwd=never, check=False)
    assert result.returncode == 1
    assert "service app: image 127.0.0.1:5000/lib/busybox:1 is not in the local store " \
           "(pull_policy: never)" in result.stderr
    assert len(registry.requests("GET", "/manifests/")) == 2

    # pull: an unset policy pulls, "never" never; --policy replaces every service's
    verbs = write_compose(tmp_path / "verbs", f"""
        services:
          a:
            image: {BUSYBOX}
          b:
            image: 127.0.0.1:5000/lib/other:1
            pull_policy: never
    """)
    result = stack.run("pull", cwd=verbs)
    assert "a Pulled" in result.stderr and " b " not in result.stderr
    assert len(registry.requests("GET", "/manifests/")) == 3
    stack.run("pull", "--policy", "missing", "a", cwd=verbs)
    assert len(registry.requests("GET", "/manifests/")) == 3
    stack.run("pull", "--policy", "always", "a", cwd=verbs)
    assert len(registry.requests("GET", "/manifests/")) == 4


def test_unknown_image_fails_with_one_line(registry_stack: Stack, registry: Registry,
                                           tmp_path: Path) -> None:
    project = write_compose(tmp_path / "missing", """
        services:
          app:
            image: 127.0.0.1:5000/nothing/here:1
    """)
    result = registry_stack.run("up", "-d", cwd=project, check=False)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: service app: image 127.0.0.1:5000/nothing/here:1 is not in the "
                      "local store and pulling it failed: 127.0.0.1:5000/nothing/here:1: "
                      "not found (manifest unknown)"]
    assert not registry_stack.layout.containers.exists()


def test_authenticated_registry(registry_stack: Stack, auth_registry: Registry,
                                tmp_path: Path) -> None:
    stack = registry_stack
    name = "127.0.0.1:5000/private/busybox:1"
    stack.run("image", "tag", "busybox", name)
    denied = stack.run("image", "push", name, check=False)
    assert denied.returncode == 1
    assert "authentication" in denied.stderr or "unauthorized" in denied.stderr

    wrong = stack.run("login", "-u", USER, "-p", "wrong", "127.0.0.1:5000", check=False)
    assert wrong.returncode == 1
    assert "incorrect username or password" in wrong.stderr
    config = Path(stack.env["DOCKER_CONFIG"]) / "config.json"
    assert not config.exists()

    login = subprocess.run(stack.argv("login", "-u", USER, "--password-stdin", "127.0.0.1:5000"),
                           input=PASSWORD + "\n", env=stack.env, capture_output=True, text=True)
    assert login.returncode == 0, login.stderr
    assert "Login Succeeded" in login.stdout
    saved = json.loads(config.read_text())
    assert list(saved["auths"]) == ["127.0.0.1:5000"]
    assert config.stat().st_mode & 0o777 == 0o600

    digest = inspect(stack, name)["Manifest"]["digest"]
    stack.run("image", "push", name)
    stack.run("image", "rm", name)
    stack.run("image", "pull", name)
    assert inspect(stack, name)["Manifest"]["digest"] == digest

    assert "Removing login credentials for 127.0.0.1:5000" in stack.run(
        "logout", "127.0.0.1:5000").stdout
    assert json.loads(config.read_text())["auths"] == {}
    stack.run("image", "rm", name)
    after = stack.run("image", "pull", name, check=False)
    assert after.returncode == 1
    assert "authentication" in after.stderr or "unauthorized" in after.stderr


def test_token_registry_lets_anonymous_pull_public_images(registry_stack: Stack,
                                                           tmp_path: Path) -> None:
    stack = registry_stack
    for _ in open_registry(stack, tmp_path / "registry", "token"):
        public = "127.0.0.1:5000/public/busybox:1"
        stack.run("image", "tag", "busybox", public)
        stack.run("login", "-u", USER, "-p", PASSWORD, "127.0.0.1:5000")
        stack.run("image", "push", public)
        stack.run("logout", "127.0.0.1:5000")
        stack.run("image", "rm", public)
        stack.run("image", "pull", public)  # the issuer grants anonymous pulls of public/*
        refused = stack.run("image", "push", public, check=False)
        assert refused.returncode == 1


def _tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _blob(blobs: dict[str, bytes], data: bytes, media_type: str) -> dict[str, Any]:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def multi_platform_archive(path: Path, name: str) -> dict[str, str]:
    """An OCI archive of a two-platform index (amd64, arm64/v8) named ``name``;
    returns each platform's manifest digest."""
    blobs: dict[str, bytes] = {}
    children, digests = [], {}
    for arch, variant in (("amd64", ""), ("arm64", "v8")):
        layer = _tar({"platform.txt": f"linux/{arch}\n".encode()})
        layer_desc = _blob(blobs, layer, "application/vnd.oci.image.layer.v1.tar")
        config = json.dumps({"architecture": arch, "os": "linux",
                             **({"variant": variant} if variant else {}),
                             "config": {"Cmd": ["cat", "/platform.txt"]},
                             "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]}
                             }).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": _blob(blobs, config, "application/vnd.oci.image.config.v1+json"),
            "layers": [layer_desc]}).encode()
        desc = _blob(blobs, manifest, "application/vnd.oci.image.manifest.v1+json")
        platform = {"os": "linux", "architecture": arch, **({"variant": variant}
                                                            if variant else {})}
        children.append({**desc, "platform": platform})
        digests[arch] = desc["digest"]
    # an attestation-like entry (unknown/unknown) must never be chosen
    children.append({**children[0], "platform": {"os": "unknown", "architecture": "unknown"}})
    index = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": children}).encode()
    index_desc = _blob(blobs, index, "application/vnd.oci.image.index.v1+json")
    top = json.dumps({"schemaVersion": 2, "manifests": [{
        **index_desc, "annotations": {"io.containerd.image.name": name,
                                      "org.opencontainers.image.ref.name": "1"}}]}).encode()
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": top}
    files.update({f"blobs/sha256/{d.removeprefix('sha256:')}": data for d, data in blobs.items()})
    path.write_bytes(_tar(files))
    digests["index"] = index_desc["digest"]
    return digests


def test_multi_platform_index_selects_the_platform(registry_stack: Stack, registry: Registry,
                                                   tmp_path: Path) -> None:
    stack = registry_stack
    name = "127.0.0.1:5000/multi/app:1"
    digests = multi_platform_archive(tmp_path / "multi.tar", name)
    assert stack.run("load", "-i", str(tmp_path / "multi.tar")).stdout.strip() == \
        f"Loaded image: {name}"
    stack.run("image", "push", name)
    raw = skopeo_raw(stack, name)
    assert "sha256:" + hashlib.sha256(raw).hexdigest() == digests["index"]
    stack.run("image", "rm", name)

    stack.run("image", "pull", "--platform", "linux/arm64", name)
    arm = inspect(stack, name)
    assert (arm["Architecture"], arm["Variant"]) == ("arm64", "v8")
    assert arm["Manifest"]["digest"] == digests["arm64"]
    assert arm["RepoDigests"] == [f"127.0.0.1:5000/multi/app@{digests['index']}"]

    stack.run("image", "pull", name)  # the host's platform
    host = inspect(stack, name)
    assert host["Architecture"] == "amd64"
    assert host["Manifest"]["digest"] == digests["amd64"]

    project = write_compose(tmp_path / "platform", f"""
        services:
          app:
            image: {name}
            platform: linux/arm64/v8
    """)
    stack.run("pull", cwd=project)
    assert inspect(stack, name)["Manifest"]["digest"] == digests["arm64"]
    bad = stack.run("image", "pull", "--platform", "linux/s390x", name, check=False)
    assert bad.returncode == 1
    assert "no image for platform linux/s390x (the index offers: linux/amd64, linux/arm64)" \
        in bad.stderr


def test_interrupted_download_resumes(registry_stack: Stack, registry: Registry,
                                      tmp_path: Path) -> None:
    """A blob half-downloaded by an earlier pull is completed with a range request,
    not fetched again."""
    stack = registry_stack
    rootfs = tmp_path / "rootfs.tar"
    with tarfile.open(rootfs, "w") as tar:
        data = bytes(range(256)) * 16384  # 4 MiB
        info = tarfile.TarInfo("data.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    name = "127.0.0.1:5000/big/data:1"
    stack.run("import", str(rootfs), name)
    layer = inspect(stack, name)["Layers"][0]
    blob = (stack.layout.images / "blobs" / "sha256" /
            layer["digest"].removeprefix("sha256:")).read_bytes()
    stack.run("image", "push", name)
    stack.run("image", "rm", name)

    half = len(blob) // 2
    ingest = stack.layout.images / "ingest" / layer["digest"].removeprefix("sha256:")
    ingest.write_bytes(blob[:half])
    stack.run("image", "pull", name)
    fetches = registry.requests("GET", f"/blobs/{layer['digest']}")
    assert len(fetches) == 1
    assert f'" 206 {len(blob) - half} ' in fetches[0]
    assert not ingest.exists()
    assert inspect(stack, name)["Layers"][0] == layer

    # a partial file that is wrong is thrown away and the blob fetched whole
    stack.run("image", "rm", name)
    ingest.write_bytes(b"\0" * half)
    stack.run("image", "pull", name)
    fetches = registry.requests("GET", f"/blobs/{layer['digest']}")
    assert [f'" 206 {len(blob) - half} ' in f for f in fetches[1:]] == [True, False]
    assert f'" 200 {len(blob)} ' in fetches[-1]
