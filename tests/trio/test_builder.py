"""The builder's orchestration on config-only Dockerfiles (no RUN or COPY, so no
runtime or mount is needed): stages, ARGs, history, tags, cache of the image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from common.errors import BuildError
from common.images import BuildRequest
from common.paths import Layout
from common.progress import BuildEvent
from runtime.build.builder import Builder
from runtime.images.store import ImageStore
from runtime.oci.runtime import Runtime


def builder(tmp_path: Path, events: list[BuildEvent]) -> Builder:
    layout = Layout(tmp_path / "root", tmp_path / "run")
    return Builder(layout, ImageStore(layout.images), Runtime("runc", "/nonexistent"),
                   events.append)


def context(tmp_path: Path, dockerfile: str) -> Path:
    directory = tmp_path / "ctx"
    directory.mkdir(exist_ok=True)
    (directory / "Dockerfile").write_text(dockerfile)
    return directory


DOCKERFILE = """\
ARG BASE=scratch
FROM ${BASE} AS first
ARG VERSION=1
ENV APP=app-$VERSION
LABEL stage=first
FROM first AS second
ENV MORE=yes
WORKDIR /srv
USER 1000
EXPOSE 8080
CMD ["serve"]
"""


async def test_config_only_build(tmp_path: Path) -> None:
    events: list[BuildEvent] = []
    b = builder(tmp_path, events)
    request = BuildRequest("svc", context(tmp_path, DOCKERFILE), args={"VERSION": "2"},
                           labels={"extra": "x"}, tags=("p-svc", "p-svc:v2"))
    result = await b.build(request)
    image = b.store.resolve("p-svc")
    assert image.id == result.image_id
    assert b.store.resolve("p-svc:v2").id == result.image_id
    config = image.config["config"]
    assert config["Env"] == ["APP=app-2", "MORE=yes"]
    assert config["Labels"] == {"stage": "first", "extra": "x"}
    assert config["WorkingDir"] == "/srv"
    assert config["User"] == "1000"
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["Cmd"] == ["serve"]
    assert image.layers == ()
    assert all(h.get("empty_layer") for h in image.config["history"])
    assert [e.text for e in events if e.status == "done"][:2] == ["FROM scratch AS first",
                                                                   "ARG VERSION=1"]
    assert {e.total for e in events} == {10}


async def test_rebuild_gives_the_same_image(tmp_path: Path) -> None:
    b = builder(tmp_path, [])
    request = BuildRequest("svc", context(tmp_path, DOCKERFILE), tags=("p-svc",))
    first = await b.build(request)
    again = await b.build(request)
    assert again.image_id == first.image_id


async def test_target_stops_early(tmp_path: Path) -> None:
    b = builder(tmp_path, [])
    request = BuildRequest("svc", context(tmp_path, DOCKERFILE), target="first",
                           tags=("p-svc",))
    await b.build(request)
    config = b.store.resolve("p-svc").config["config"]
    assert "Cmd" not in config and config["Env"] == ["APP=app-1"]


async def test_unused_build_arg_warned(tmp_path: Path) -> None:
    events: list[BuildEvent] = []
    request = BuildRequest("svc", context(tmp_path, "FROM scratch\n"),
                           args={"NOPE": "1", "HTTP_PROXY": "x"}, tags=("p-svc",))
    await builder(tmp_path, events).build(request)
    warnings = [e.text for e in events if "not consumed" in e.text]
    assert warnings == ["[Warning] One or more build-args ['NOPE'] were not consumed"]


async def test_inline_dockerfile(tmp_path: Path) -> None:
    b = builder(tmp_path, [])
    (tmp_path / "empty").mkdir()
    request = BuildRequest("svc", tmp_path / "empty",
                           dockerfile_inline="FROM scratch\nENV X=inline\n", tags=("p-svc",))
    await b.build(request)
    assert b.store.resolve("p-svc").config["config"]["Env"] == ["X=inline"]


@pytest.mark.parametrize(("dockerfile", "message"), [
    ("FROM scratch\nNOPE x\n", "Dockerfile:2: unknown instruction: NOPE"),
    ("FROM missing-image:1\n", "base image missing-image:1 is not in the local store"),
    ("FROM scratch\nSHELL sh\n", "SHELL requires the arguments to be in JSON form"),
    ("FROM --platform=linux/s390x scratch\n", "only the host's platform"),
    ("FROM scratch\nADD https://example.com/a.tgz /a\n", "remote sources need network"),
    ("FROM scratch\nCOPY onlyone\n", "requires at least two arguments"),
    ("FROM scratch\nCOPY https://example.com/a /a\n", "can't be a URL for COPY"),
    ("FROM scratch\nCOPY --from=nowhere-image:1 /a /b\n", "nowhere-image:1 is not in"),
    ("FROM scratch\nRUN --mount=type=ssh true\n", "not supported"),
    ("FROM scratch AS a\nFROM scratch AS A\n", "duplicate stage name"),
])
async def test_errors_tag_nothing(tmp_path: Path, dockerfile: str, message: str) -> None:
    b = builder(tmp_path, [])
    request = BuildRequest("svc", context(tmp_path, dockerfile), tags=("p-svc",))
    with pytest.raises(BuildError, match=message):
        await b.build(request)
    index = b.store.path / "index.json"
    assert not index.exists() or json.loads(index.read_text())["manifests"] == []


async def test_missing_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    with pytest.raises(BuildError, match=r"Dockerfile .* not found"):
        await builder(tmp_path, []).build(BuildRequest("svc", tmp_path / "ctx"))


async def test_other_platform_refused(tmp_path: Path) -> None:
    request = BuildRequest("svc", context(tmp_path, "FROM scratch\n"),
                           platforms=("linux/s390x",))
    with pytest.raises(BuildError, match="cannot be built on this"):
        await builder(tmp_path, []).build(request)


async def test_errors_name_the_service(tmp_path: Path) -> None:
    request = BuildRequest("web", context(tmp_path, "FROM scratch\nCOPY x\n"))
    with pytest.raises(BuildError, match=r"^service web: line 2: COPY requires"):
        await builder(tmp_path, []).build(request)
