"""The image verbs on real containers: save/load and import round trips that run,
removal and pruning that spare what containers use, and a malicious layer that
``up`` refuses without writing outside its directory."""

from __future__ import annotations

import gzip
import io
import json
import secrets
import tarfile
import textwrap
from pathlib import Path
from typing import Any

from tests.integration.conftest import Stack


def inspect(stack: Stack, name: str) -> dict[str, Any]:
    result: list[dict[str, Any]] = json.loads(stack.run("image", "inspect", name).stdout)
    return result[0]


def write_compose(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "compose.yaml").write_text(textwrap.dedent(text))
    return directory


def busybox_rootfs(stack: Stack) -> bytes:
    """The bootstrapped busybox's only layer: a flat root filesystem, gzipped."""
    layer = inspect(stack, "busybox")["Layers"][0]["digest"].removeprefix("sha256:")
    return (stack.layout.images / "blobs" / "sha256" / layer).read_bytes()


def test_save_then_load_round_trip(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    before = inspect(stack, "busybox")
    stack.run("image", "tag", "busybox", "example.com/team/box:2")
    archive = tmp_path / "images.tar"
    stack.run("save", "-o", str(archive), "busybox", "example.com/team/box:2")
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        docker = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert {"oci-layout", "index.json", "manifest.json"} <= names
    assert [d["RepoTags"] for d in docker] == [["busybox:latest"], ["example.com/team/box:2"]]

    stack.run("image", "rm", "busybox", "example.com/team/box:2")
    assert stack.run("images", "-q").stdout.strip() == ""
    loaded = stack.run("load", "-i", str(archive)).stdout.splitlines()
    assert loaded == ["Loaded image: busybox:latest", "Loaded image: example.com/team/box:2"]
    after = inspect(stack, "busybox")
    assert (after["Id"], after["Manifest"], after["Layers"]) == (
        before["Id"], before["Manifest"], before["Layers"])
    rows = [json.loads(line) for line in stack.run("images", "--format", "json").stdout
            .splitlines()]
    assert sorted((r["Repository"], r["Tag"]) for r in rows) == [
        ("busybox", "latest"), ("example.com/team/box", "2")]


def test_imported_rootfs_runs(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    rootfs = tmp_path / "rootfs.tar.gz"
    rootfs.write_bytes(busybox_rootfs(stack))
    image_id = stack.run("import", "-c", 'CMD ["echo", "imported ok"]', "-c", "ENV GREETING=hi",
                         str(rootfs), "imported:1").stdout.strip()
    details = inspect(stack, "imported:1")
    assert details["Id"] == image_id
    assert details["Config"]["Cmd"] == ["echo", "imported ok"]
    assert "GREETING=hi" in details["Config"]["Env"]
    assert details["RootFS"]["Layers"] == inspect(stack, "busybox")["RootFS"]["Layers"]
    [diff_id] = details["RootFS"]["Layers"]
    assert (stack.layout.layers / diff_id.removeprefix("sha256:")).is_dir()  # unpacked already
    project = write_compose(tmp_path / "imported", """
        services:
          app:
            image: imported:1
    """)
    result = stack.run("up", cwd=project)
    assert "app-1  | imported ok" in result.stdout
    stack.run("down", cwd=project)


def test_rm_and_prune_spare_images_in_use(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    rootfs = tmp_path / "rootfs.tar.gz"
    rootfs.write_bytes(busybox_rootfs(stack))
    stack.run("import", "-c", 'CMD ["true"]', str(rootfs), "unused:1")
    stack.run("import", "-c", 'CMD ["sleep", "1"]', str(rootfs))  # dangling
    project = write_compose(tmp_path / "inuse", """
        services:
          app:
            image: busybox
            command: ["sleep", "60"]
    """)
    stack.run("up", "-d", cwd=project)
    refused = stack.run("image", "rm", "busybox", check=False)
    assert refused.returncode == 1
    assert 'unable to remove repository reference "busybox" (must force)' in refused.stderr

    dangling = stack.run("image", "prune").stdout
    assert "deleted: sha256:" in dangling and "untagged" not in dangling
    pruned = stack.run("image", "prune", "-a").stdout
    assert "untagged: unused:1" in pruned and "busybox" not in pruned
    assert stack.run("images", "--format", "json").stdout.count("\n") == 1
    assert (stack.layout.layers.exists() and len(list(stack.layout.layers.iterdir())) == 1)

    forced = stack.run("image", "rm", "-f", "busybox").stdout
    assert forced.strip() == "Untagged: busybox:latest"
    rows = [json.loads(line) for line in stack.run("images", "--format", "json").stdout
            .splitlines()]
    assert [(r["Repository"], r["Tag"]) for r in rows] == [("<none>", "<none>")]
    stack.run("down", cwd=project)
    stack.run("image", "prune")
    assert stack.run("images", "-q").stdout.strip() == ""
    assert not list((stack.layout.images / "blobs" / "sha256").iterdir())
    assert not list(stack.layout.layers.iterdir())


def test_malicious_layer_is_refused_and_contained(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    marker = Path("/tmp") / f"pycompose-escape-{secrets.token_hex(4)}"
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        link = tarfile.TarInfo("evil")
        link.type, link.linkname = tarfile.SYMTYPE, "/"
        tar.addfile(link)
        payload = b"escaped\n"
        info = tarfile.TarInfo(f"evil{marker}")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    rootfs = tmp_path / "evil.tar.gz"
    rootfs.write_bytes(gzip.compress(layer.getvalue()))
    result = stack.run("import", "-c", 'CMD ["true"]', str(rootfs), "evil:1", check=False)
    try:
        # refused at import, as docker import refuses it: unpacked eagerly, the layer
        # never lands outside its directory and nothing of the image is kept
        assert result.returncode == 1
        assert "leads outside the layer through a symlink" in result.stderr
        assert "Traceback" not in result.stderr
        assert not marker.exists()
        assert not list(stack.layout.layers.iterdir())
        assert "evil" not in stack.run("images").stdout
    finally:
        marker.unlink(missing_ok=True)


def test_whiteouts_hide_lower_layers_in_a_running_container(busybox_stack: Stack,
                                                            tmp_path: Path) -> None:
    """A second layer deleting /etc/group and making /var opaque, loaded from an OCI
    archive: inside the container the file is gone and /var holds only the new file."""
    import hashlib

    stack = busybox_stack
    base = inspect(stack, "busybox")
    upper = io.BytesIO()
    with tarfile.open(fileobj=upper, mode="w") as tar:
        for name, kind in (("etc", tarfile.DIRTYPE), ("etc/.wh.group", tarfile.REGTYPE),
                           ("var", tarfile.DIRTYPE), ("var/.wh..wh..opq", tarfile.REGTYPE),
                           ("var/new", tarfile.REGTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.mode = kind, 0o755 if kind == tarfile.DIRTYPE else 0o644
            tar.addfile(info, io.BytesIO(b""))
    upper_tar = upper.getvalue()

    def digest(data: bytes) -> str:
        return "sha256:" + hashlib.sha256(data).hexdigest()

    lower = busybox_rootfs(stack)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["sh", "-c", "ls /etc/group; ls /var"],
                   "Env": base["Config"]["Env"]},
        "rootfs": {"type": "layers",
                   "diff_ids": [*base["RootFS"]["Layers"], digest(upper_tar)]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": digest(lower), "size": len(lower)},
                   {"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest(upper_tar), "size": len(upper_tar)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest),
        "size": len(manifest), "annotations": {"io.containerd.image.name": "layered:1"}}]})
    archive = tmp_path / "layered.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
                           ("index.json", index.encode()),
                           *[(f"blobs/sha256/{digest(b)[7:]}", b)
                             for b in (lower, upper_tar, config, manifest)]]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    stack.run("load", "-i", str(archive))
    project = write_compose(tmp_path / "layered", """
        services:
          app:
            image: layered:1
    """)
    out = stack.run("up", cwd=project).stdout
    assert "ls: /etc/group: No such file or directory" in out
    assert "app-1  | new" in out
    assert "app-1  | log" not in out  # busybox's /var/log is hidden by the opaque /var
    stack.run("down", cwd=project)
