"""The engine's image work and the image verbs over ``FakeImages``: what is pulled,
pushed and built, what is reported through the context's output, and what the
verbs print, with no store, registry or kernel."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from common.errors import BuildError, ImageError
from common.paths import Layout
from common.progress import BuildEvent, Transfer
from compose.cli.commands import image as image_store
from compose.cli.commands import images, load, save
from compose.cli.commands.push import push
from compose.engine.building import BuildOptions, build_services, ensure_built
from compose.engine.context import Context
from compose.engine.converge import resolve_images
from compose.engine.pulling import pull_image, pull_services
from compose.engine.pushing import push_images
from compose.spec.loader import LoadOptions, load_project
from compose.spec.model import Project
from tests.fakes import FakeContainers, FakeImages, FakeNetworks, RecordingOutput


def context(tmp_path: Path, images_: FakeImages) -> tuple[Context, RecordingOutput]:
    output = RecordingOutput()
    ctx = Context(layout=Layout(tmp_path / "root", tmp_path / "run"),
                  containers=cast(Any, FakeContainers()), networks=cast(Any, FakeNetworks()),
                  volumes=cast(Any, None), images=images_, supervisors=cast(Any, None),
                  output=output, environ={}, runtime="/usr/bin/runc")
    return ctx, output


def project(tmp_path: Path, text: str) -> Project:
    (tmp_path / "compose.yaml").write_text(text)
    return load_project(LoadOptions(cwd=str(tmp_path), environ={})).project


TWO_SHARING = """\
name: p
services:
  web: {image: "web:1"}
  worker: {image: "web:1"}
  db: {image: "db:1"}
"""


def transfers(output: RecordingOutput) -> list[tuple[str, str]]:
    return [(e.image, e.status) for e in output.events if isinstance(e, Transfer)]


async def test_pull_services_pulls_what_is_missing_once(tmp_path: Path) -> None:
    fake = FakeImages(local={"db:1": {}}, registry={"web:1"})
    ctx, output = context(tmp_path, fake)
    requests = await pull_services(ctx, project(tmp_path, TWO_SHARING), ctx.environ)
    assert [(r.image, r.services) for r in requests] == [("web:1", ("web", "worker"))]
    assert fake.log == ["pull web:1"]
    assert output.blocks == ["Pulling quiet=False", "end Pulling"]
    assert ("worker", "Skipped - Image is already being pulled by web") in transfers(output)
    assert ("web", "Pulled") in transfers(output)


async def test_pull_policy_always_pulls_present_images(tmp_path: Path) -> None:
    fake = FakeImages(local={"db:1": {}}, registry={"web:1", "db:1"})
    ctx, output = context(tmp_path, fake)
    await pull_services(ctx, project(tmp_path, TWO_SHARING), ctx.environ, policy="always",
                        quiet=True)
    assert sorted(fake.log) == ["pull db:1", "pull web:1"]
    assert output.blocks[0] == "Pulling quiet=True"


async def test_nothing_to_pull_draws_nothing(tmp_path: Path) -> None:
    fake = FakeImages(local={"db:1": {}, "web:1": {}})
    ctx, output = context(tmp_path, fake)
    assert await pull_services(ctx, project(tmp_path, TWO_SHARING), ctx.environ) == []
    assert output.blocks == [] and fake.log == []


async def test_failed_pull_names_the_service(tmp_path: Path) -> None:
    ctx, output = context(tmp_path, FakeImages(local={"db:1": {}}))
    with pytest.raises(ImageError, match="service web: image web:1 is not in the local "
                                         "store and pulling it failed: web:1: not found"):
        await pull_services(ctx, project(tmp_path, TWO_SHARING), ctx.environ)
    assert ("web", "Error") in transfers(output)


async def test_ignored_pull_failures_are_warnings(tmp_path: Path) -> None:
    ctx, output = context(tmp_path, FakeImages(local={"db:1": {}, "web:1": {}}))
    await pull_services(ctx, project(tmp_path, TWO_SHARING), ctx.environ, policy="always",
                        ignore_failures=True)
    assert sorted(output.warnings) == [
        "service db: pulling db:1: db:1: not found in the registry",
        "service web: pulling web:1: web:1: not found in the registry"]


async def test_malformed_image_names_its_service(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, FakeImages())
    text = "services:\n  web: {image: 'Bad Name'}\n"
    with pytest.raises(ImageError, match=r"^service web: invalid reference format"):
        await pull_services(ctx, project(tmp_path, text), ctx.environ)


async def test_pull_image_and_the_verb_print_the_digest(tmp_path: Path) -> None:
    fake = FakeImages(registry={"alpine:3"})
    ctx, output = context(tmp_path, fake)
    pulled = await pull_image(ctx, "alpine:3", "linux/arm64", quiet=False)
    assert pulled.name == "alpine:3" and fake.log == ["pull alpine:3 linux/arm64"]
    assert await image_store.pull_one(ctx, "alpine:3", None, quiet=True) == 0
    assert output.lines == [f"alpine:3: {pulled.manifest_digest}"]


BUILT = """\
name: p
services:
  web: {build: ., image: "me/web:1"}
  again: {build: ., image: "me/web:1"}
  api: {build: {context: ., args: {BASE: "alpine:3"}}}
  db: {image: "db:1"}
"""


async def test_build_services_builds_each_image_once(tmp_path: Path) -> None:
    fake = FakeImages(local={"busybox": {}}, registry={"alpine:3"})
    ctx, output = context(tmp_path, fake)
    results = await build_services(ctx, project(tmp_path, BUILT), ["web", "again", "api"],
                                   BuildOptions(quiet=True))
    assert results["web"] is results["again"]
    assert results["api"].tags == ("p-api",)
    assert fake.log == ["build web", "pull alpine:3", "build api"]
    assert output.blocks == ["Building quiet=True", "Pulling quiet=True", "end Pulling",
                             "end Building"]
    starts = [e for e in output.events if isinstance(e, str)]
    assert starts == ["start web", "finish web ('me/web:1',)", "start api",
                      "finish api ('p-api',)"]
    assert any(isinstance(e, BuildEvent) and e.text == "FROM alpine:3" for e in output.events)


async def test_build_failure_surfaces(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path, FakeImages(local={"busybox": {}}))
    with pytest.raises(ImageError, match="alpine:3: not found"):
        await build_services(ctx, project(tmp_path, BUILT), ["api"], BuildOptions())


async def test_ensure_built_builds_only_missing_images(tmp_path: Path) -> None:
    fake = FakeImages(local={"busybox": {}, "me/web:1": {}, "alpine:3": {}})
    ctx, _ = context(tmp_path, fake)
    await ensure_built(ctx, project(tmp_path, BUILT), None)
    assert fake.log == ["build api"]
    await ensure_built(ctx, project(tmp_path, BUILT), False)
    assert fake.log == ["build api"]
    await ensure_built(ctx, project(tmp_path, BUILT), True)
    assert fake.log == ["build api", "build again", "build api"]  # again and web share one


async def test_push_images_lines_and_ignored_failures(tmp_path: Path) -> None:
    fake = FakeImages(local={"me/web:1": {}, "db:1": {}}, fail_push={"db:1"})
    ctx, output = context(tmp_path, fake)
    lines = await push_images(ctx, [("web", "me/web:1"), ("db", "db:1")],
                              ignore_failures=True)
    assert lines == [f"me/web:1: digest: sha256:{'d' * 64} size: 527"]
    assert output.warnings == ["db: cannot push db:1: denied"]
    assert output.blocks == ["Pushing quiet=False", "end Pushing"]
    with pytest.raises(ImageError, match="cannot push db:1"):
        await push_images(ctx, [("db", "db:1")])


async def test_push_verb_prints_lines_unless_quiet(tmp_path: Path) -> None:
    fake = FakeImages(local={"me/web:1": {}, "db:1": {}})
    ctx, output = context(tmp_path, fake)
    proj = project(tmp_path, "name: p\nservices:\n  web: {image: 'me/web:1'}\n"
                             "  db: {image: 'db:1'}\n")
    assert await push(ctx, proj) == 0
    assert sorted(output.lines) == sorted(f"{i}: digest: sha256:{'d' * 64} size: 527"
                                          for i in ("me/web:1", "db:1"))
    output.lines.clear()
    assert await push(ctx, proj, quiet=True) == 0
    assert output.lines == []


async def test_store_verbs_print_what_the_backend_did(tmp_path: Path) -> None:
    fake = FakeImages(local={"a:1": {"Cmd": ["sh"]}, "b:1": {}})
    ctx, output = context(tmp_path, fake)
    assert await image_store.tag(ctx, "a:1", "a:2") == 0
    assert await image_store.rm(ctx, ["a:2"], force=False) == 0
    assert output.lines == ["Untagged: a:2"]
    await image_store.inspect_images(ctx, ["a:1"])
    assert '"Cmd": [' in output.lines[-1] and output.lines[-1].endswith("\n")
    output.lines.clear()
    fake.in_use.add(fake.names["a:1"])
    unused = fake.names["b:1"]
    assert await image_store.prune(ctx, all_images=True) == 0
    assert output.lines == ["Deleted Images:", f"deleted: {unused}", "",
                            "Total reclaimed space: 100B"]
    assert "b:1" not in fake.names and "a:1" in fake.names


async def test_images_verb_lists_quietly_by_id(tmp_path: Path) -> None:
    fake = FakeImages(local={"a:1": {}, "a:2": {}, "b:1": {}})
    ctx, output = context(tmp_path, fake)
    await images.images(ctx, wanted="a", quiet=True)
    assert output.lines == [fake.names[n].removeprefix("sha256:")[:12] for n in ("a:1", "a:2")]


async def test_load_and_save_verbs(tmp_path: Path) -> None:
    fake = FakeImages(local={"a:1": {}})
    ctx, output = context(tmp_path, fake)
    assert await load.load(ctx, str(tmp_path / "x.tar"), quiet=False) == 0
    assert output.lines == ["Loaded image: loaded:1"]
    assert await save.save(ctx, ["a:1"], str(tmp_path / "y.tar")) == 0
    assert fake.log == [f"load {tmp_path / 'x.tar'}", f"save a:1 {tmp_path / 'y.tar'}"]


async def test_build_without_a_puller_fails_on_a_missing_base(tmp_path: Path) -> None:
    from common.images import BuildRequest

    fake = FakeImages()
    with pytest.raises(BuildError, match="base image busybox"):
        await fake.build(BuildRequest("web", tmp_path), lambda event: None)


async def test_services_sharing_an_image_look_it_up_and_resolve_it_once(tmp_path: Path) -> None:
    """Twenty services of one image read the store once, not twenty times (each a
    trip to a worker thread, one after the other, at the start of every ``up``)."""
    fake = FakeImages(local={"web:1": {"Cmd": ["serve"]}, "db:1": {}})
    asked: list[str] = []
    find, resolve = fake.find, fake.resolve

    async def counted_find(reference: str) -> object:
        asked.append(f"find {reference}")
        return await find(reference)

    async def counted_resolve(reference: str) -> object:
        asked.append(f"resolve {reference}")
        return await resolve(reference)

    fake.find, fake.resolve = counted_find, counted_resolve  # type: ignore[method-assign,assignment]
    ctx, _ = context(tmp_path, fake)
    images = await resolve_images(ctx, project(tmp_path, TWO_SHARING))
    assert sorted(asked) == ["find db:1", "find web:1", "resolve db:1", "resolve web:1"]
    assert images["web"] == images["worker"] != images["db"]
    assert images["worker"].config == {"Cmd": ["serve"]}
