"""runtime/distribution/transfers.py and registry.py over an in-memory registry: pull and
push, Basic and Bearer auth, retries, resumed and verified downloads, platform
selection, and the allow-list that keeps pycompose off other hosts."""

from __future__ import annotations

import base64
import gzip
import io
import json
import random
import tarfile
from pathlib import Path
from typing import Any

import pytest
import trio

from common.errors import ImageError
from common.progress import Transfer
from runtime.distribution.transfers import open_transfers
from runtime.images.documents import MEDIA_CONFIG, MEDIA_LAYER_GZIP, MEDIA_MANIFEST, canonical_json
from runtime.images.reference import parse_reference
from runtime.images.store import ImageStore
from tests.fake_registry import PASSWORD, USER, FakeRegistry, digest_of

HOST = "registry.test"
NAME = f"{HOST}/team/app:1"


def layer_tar(content: bytes, name: str = "file.bin") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def publish(registry: FakeRegistry, repo: str, tag: str | None, layers: list[bytes],
            arch: str = "amd64", variant: str = "") -> dict[str, Any]:
    """An image of gzip layers in ``registry``; returns its manifest's digest and more."""
    descs = []
    for raw in layers:
        descs.append({"mediaType": MEDIA_LAYER_GZIP,
                      **registry.add_blob(gzip.compress(raw, mtime=0))})
    config = canonical_json({"architecture": arch, "os": "linux",
                             **({"variant": variant} if variant else {}),
                             "config": {"Cmd": ["sh"]},
                             "rootfs": {"type": "layers",
                                        "diff_ids": [digest_of(r) for r in layers]}})
    manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
                "config": {"mediaType": MEDIA_CONFIG, **registry.add_blob(config)},
                "layers": descs}
    digest = registry.add_manifest(repo, tag, manifest)
    return {"digest": digest, "config": digest_of(config), "layers": descs,
            "size": len(json.dumps(manifest).encode())}


def noise(size: int) -> bytes:
    """Incompressible bytes: a gzip layer as large as its content."""
    return random.Random(size).randbytes(size)


def environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"DOCKER_CONFIG": str(tmp_path / "docker"), **extra}


def login(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir(exist_ok=True)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {HOST: {"auth": auth}}}))


async def pull(tmp_path: Path, registry: FakeRegistry, name: str = NAME, *,
               store: ImageStore | None = None, events: list[Transfer] | None = None,
               env: dict[str, str] | None = None, **kwargs: Any) -> ImageStore:
    store = store or ImageStore(tmp_path / "store")
    report = events.append if events is not None else (lambda _: None)
    async with open_transfers(store, env or environ(tmp_path), report,
                              registry.transport()) as transfers:
        await transfers.pull(name, **kwargs)
    return store


async def test_pull_stores_a_verified_image(tmp_path: Path) -> None:
    registry = FakeRegistry()
    layers = [layer_tar(b"one"), layer_tar(b"two" * 50000)]
    published = publish(registry, "team/app", "1", layers)
    events: list[Transfer] = []
    store = await pull(tmp_path, registry, events=events)
    image = store.resolve(NAME)
    assert (image.manifest_digest, image.id) == (published["digest"], published["config"])
    assert [layer.diff_id for layer in image.layers] == [digest_of(r) for r in layers]
    assert store.entry(parse_reference(NAME)).source_digest == published["digest"]  # type: ignore[union-attr]
    assert (events[0].status, events[-1].status, events[-1].done) == ("Pulling", "Pulled", True)
    assert {e.layer for e in events if e.status == "Pull complete"} == {
        d["digest"][7:19] for d in published["layers"]}
    assert not list((tmp_path / "store" / "ingest").iterdir())


async def test_second_pull_fetches_no_blob(tmp_path: Path) -> None:
    registry = FakeRegistry()
    publish(registry, "team/app", "1", [layer_tar(b"x")])
    store = await pull(tmp_path, registry)
    events: list[Transfer] = []
    await pull(tmp_path, registry, store=store, events=events)
    assert len(registry.hits("GET", "/blobs/")) == 2  # config and layer, once
    assert [e.status for e in events if e.layer] == ["Already exists"]


async def test_layers_shared_by_two_images_are_fetched_once(tmp_path: Path) -> None:
    registry = FakeRegistry()
    shared = layer_tar(b"shared" * 100000)
    publish(registry, "team/app", "1", [shared, layer_tar(b"a")])
    publish(registry, "team/other", "1", [shared, layer_tar(b"b")])
    store = ImageStore(tmp_path / "store")
    async with open_transfers(store, environ(tmp_path), lambda _: None,
                              registry.transport()) as transfers, trio.open_nursery() as nursery:
        nursery.start_soon(transfers.pull, NAME)
        nursery.start_soon(transfers.pull, f"{HOST}/team/other:1")
    layer = digest_of(gzip.compress(shared, mtime=0))
    assert len(registry.hits("GET", f"/blobs/{layer}")) == 1
    assert [r.url.path for r in registry.requests].count("/v2/") == 1  # one session


@pytest.mark.parametrize("auth", ["basic", "bearer"])
async def test_pull_with_credentials_from_docker_config(tmp_path: Path, auth: str) -> None:
    registry = FakeRegistry(auth=auth)
    publish(registry, "team/app", "1", [layer_tar(b"secret")])
    login(tmp_path)
    store = await pull(tmp_path, registry)
    assert store.resolve(NAME)
    if auth == "bearer":
        tokens = registry.hits("GET", "/token")
        assert len(tokens) == 1
        assert tokens[0].url.params["scope"] == "repository:team/app:pull"
        assert tokens[0].url.params["service"] == "fake-registry"
        assert all(r.headers["authorization"].startswith("Bearer ")
                   for r in registry.requests if "/team/app/" in r.url.path)


@pytest.mark.parametrize("auth", ["basic", "bearer"])
async def test_pull_without_credentials_is_refused(tmp_path: Path, auth: str) -> None:
    registry = FakeRegistry(auth=auth)
    publish(registry, "team/app", "1", [layer_tar(b"secret")])
    with pytest.raises(ImageError, match="authentication"):
        await pull(tmp_path, registry)
    assert ImageStore(tmp_path / "store").find(NAME) is None


async def test_push_then_pull_round_trip(tmp_path: Path) -> None:
    registry = FakeRegistry(auth="bearer")
    login(tmp_path)
    source = ImageStore(tmp_path / "source")
    layer = gzip.compress(layer_tar(b"pushed" * 1000), mtime=0)
    layer_desc = source.put_blob(layer, MEDIA_LAYER_GZIP)
    config = source.put_blob(canonical_json({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer_tar(b"pushed" * 1000))]}}),
        MEDIA_CONFIG)
    manifest = source.put_blob(canonical_json({
        "schemaVersion": 2, "mediaType": MEDIA_MANIFEST, "config": config.as_json(),
        "layers": [layer_desc.as_json()]}), MEDIA_MANIFEST)
    source.tag(parse_reference(NAME), manifest)
    events: list[Transfer] = []
    async with open_transfers(source, environ(tmp_path), events.append,
                              registry.transport()) as transfers:
        pushed = await transfers.push(NAME)
        again = await transfers.push(NAME)
    assert pushed.digest == again.digest == manifest.digest
    assert registry.tokens and all("pull,push" in scope for scope in registry.tokens.values())
    assert "Layer already exists" in [e.status for e in events if e.layer]
    assert len(registry.hits("PUT", "/blobs/uploads/")) == 2  # layer and config, once
    store = await pull(tmp_path, registry)
    assert store.resolve(NAME).id == config.digest


async def test_transient_errors_are_retried(tmp_path: Path, autojump_clock: Any) -> None:
    registry = FakeRegistry()
    publish(registry, "team/app", "1", [layer_tar(b"x")])
    registry.statuses = {"/manifests/": [503, 502], "/blobs/": [500, 429]}
    store = await pull(tmp_path, registry)
    assert store.resolve(NAME)


async def test_retries_give_up_with_one_line(tmp_path: Path, autojump_clock: Any) -> None:
    registry = FakeRegistry()
    publish(registry, "team/app", "1", [layer_tar(b"x")])
    registry.statuses = {"/manifests/": [503] * 10}
    with pytest.raises(ImageError, match=r"registry.test/team/app:1: 503"):
        await pull(tmp_path, registry)


async def test_broken_download_resumes_with_a_range_request(tmp_path: Path,
                                                             autojump_clock: Any) -> None:
    registry = FakeRegistry()
    big = layer_tar(noise(1 << 20))
    published = publish(registry, "team/app", "1", [big])
    layer = published["layers"][0]
    registry.cut[layer["digest"]] = 3 * 65536
    store = await pull(tmp_path, registry)
    fetches = registry.hits("GET", f"/blobs/{layer['digest']}")
    assert [r.headers.get("range") for r in fetches] == [None, f"bytes={3 * 65536}-"]
    assert store.has_blob(layer["digest"])


async def test_server_ignoring_ranges_restarts_the_download(tmp_path: Path,
                                                            autojump_clock: Any) -> None:
    registry = FakeRegistry(no_ranges=True)
    published = publish(registry, "team/app", "1", [layer_tar(noise(1 << 20))])
    registry.cut[published["layers"][0]["digest"]] = 65536
    store = await pull(tmp_path, registry)
    assert store.resolve(NAME).layers[0].descriptor.digest == published["layers"][0]["digest"]


async def test_interrupted_pull_tags_nothing_and_keeps_what_it_fetched(
        tmp_path: Path) -> None:
    registry = FakeRegistry()
    published = publish(registry, "team/app", "1", [layer_tar(noise(1 << 20))])
    layer = published["layers"][0]
    store = ImageStore(tmp_path / "store")
    seen = trio.Event()

    def report(event: Transfer) -> None:
        if event.status == "Downloading" and event.current >= 65536:
            seen.set()

    async with trio.open_nursery() as nursery:
        async def interrupted() -> None:
            async with open_transfers(store, environ(tmp_path), report,
                                      registry.transport()) as transfers:
                await transfers.pull(NAME)

        nursery.start_soon(interrupted)
        await seen.wait()
        nursery.cancel_scope.cancel()
    assert store.find(NAME) is None
    partial = tmp_path / "store" / "ingest" / layer["digest"].removeprefix("sha256:")
    kept = partial.stat().st_size
    assert 0 < kept < layer["size"]
    registry.cut.clear()
    await pull(tmp_path, registry, store=store)
    last = registry.hits("GET", f"/blobs/{layer['digest']}")[-1]
    assert last.headers["range"] == f"bytes={kept}-"
    assert store.resolve(NAME).manifest_digest == published["digest"]


async def test_blob_not_matching_its_digest_is_never_used(tmp_path: Path,
                                                          autojump_clock: Any) -> None:
    registry = FakeRegistry()
    published = publish(registry, "team/app", "1", [layer_tar(b"honest")])
    layer = published["layers"][0]["digest"]
    registry.lie[layer] = b"x" * published["layers"][0]["size"]
    with pytest.raises(ImageError, match="failed verification"):
        await pull(tmp_path, registry)
    store = ImageStore(tmp_path / "store")
    assert not store.has_blob(layer)
    assert store.find(NAME) is None


async def test_blob_larger_than_its_descriptor_is_cut_off(tmp_path: Path,
                                                          autojump_clock: Any) -> None:
    registry = FakeRegistry()
    published = publish(registry, "team/app", "1", [layer_tar(b"honest")])
    layer = published["layers"][0]["digest"]
    registry.lie[layer] = b"x" * (published["layers"][0]["size"] + 10_000_000)
    with pytest.raises(ImageError, match="larger than its descriptor"):
        await pull(tmp_path, registry)
    partial = tmp_path / "store" / "ingest" / layer.removeprefix("sha256:")
    assert partial.stat().st_size <= published["layers"][0]["size"]


async def test_manifest_not_matching_the_pinned_digest_is_refused(tmp_path: Path) -> None:
    registry = FakeRegistry()
    published = publish(registry, "team/app", "1", [layer_tar(b"x")])
    other = publish(registry, "team/app", None, [layer_tar(b"y")])
    registry.manifests[("team/app", published["digest"])] = registry.manifests[
        ("team/app", other["digest"])]
    with pytest.raises(ImageError, match="does not match its digest"):
        await pull(tmp_path, registry, f"{HOST}/team/app@{published['digest']}")


async def test_pull_by_digest_names_the_image_by_digest(tmp_path: Path) -> None:
    registry = FakeRegistry()
    published = publish(registry, "team/app", None, [layer_tar(b"x")])
    name = f"{HOST}/team/app@{published['digest']}"
    store = await pull(tmp_path, registry, name)
    assert store.resolve(name).manifest_digest == published["digest"]
    assert list(store.references()) == [name]


async def test_index_selects_the_platform(tmp_path: Path) -> None:
    from runtime.images.documents import parse_platform

    registry = FakeRegistry()
    amd = publish(registry, "team/app", None, [layer_tar(b"amd")])
    arm = publish(registry, "team/app", None, [layer_tar(b"arm")], arch="arm64", variant="v8")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest"
             ".list.v2+json", "manifests": [
                 {"mediaType": MEDIA_MANIFEST, "digest": arm["digest"], "size": arm["size"],
                  "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
                 {"mediaType": MEDIA_MANIFEST, "digest": amd["digest"], "size": amd["size"],
                  "platform": {"os": "linux", "architecture": "amd64"}}]}
    index_digest = registry.add_manifest("team/app", "1", index)
    store = await pull(tmp_path, registry, platform=parse_platform("linux/arm64"))
    assert store.resolve(NAME).manifest_digest == arm["digest"]
    assert store.entry(parse_reference(NAME)).source_digest == index_digest  # type: ignore[union-attr]
    store = await pull(tmp_path, registry, store=store, platform=parse_platform("linux/amd64"))
    assert store.resolve(NAME).manifest_digest == amd["digest"]
    with pytest.raises(ImageError, match=r"no image for platform linux/ppc64le"):
        await pull(tmp_path, registry, store=store, platform=parse_platform("linux/ppc64le"))


async def test_registries_outside_the_allow_list_are_never_contacted(tmp_path: Path) -> None:
    registry = FakeRegistry()
    publish(registry, "team/app", "1", [layer_tar(b"x")])
    env = environ(tmp_path, PYCOMPOSE_ALLOWED_REGISTRIES="127.0.0.1:*")
    with pytest.raises(ImageError, match="not allowed by PYCOMPOSE_ALLOWED_REGISTRIES"):
        await pull(tmp_path, registry, env=env)
    with pytest.raises(ImageError, match="not allowed"):
        await pull(tmp_path, registry, "busybox", env=env)
    assert registry.requests == []


async def test_token_server_outside_the_allow_list_is_refused(tmp_path: Path) -> None:
    registry = FakeRegistry(auth="bearer")
    publish(registry, "team/app", "1", [layer_tar(b"x")])
    login(tmp_path)
    env = environ(tmp_path, PYCOMPOSE_ALLOWED_REGISTRIES=HOST)
    with pytest.raises(ImageError, match=r"refusing to contact auth\.test"):
        await pull(tmp_path, registry, env=env)
    assert not registry.hits("GET", "/token")


async def test_unknown_manifest_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"registry.test/team/app:1: not found"):
        await pull(tmp_path, FakeRegistry())
