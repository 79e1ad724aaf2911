"""Real builds with runc from busybox and from scratch: multi-stage, .dockerignore,
ARG/ENV, USER/WORKDIR in RUN, whiteouts, the cache, ``up --build``, failures."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.integration import registry_fixture
from tests.integration.conftest import Stack
from tests.integration.registry_fixture import Registry

registry_stack = registry_fixture.registry_stack
registry = registry_fixture.registry


def project(directory: Path, dockerfile: str, compose: str | None = None,
            files: dict[str, str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(textwrap.dedent(dockerfile))
    (directory / "compose.yaml").write_text(textwrap.dedent(
        compose or "name: b\nservices:\n  app:\n    build: .\n"))
    for name, text in (files or {}).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def inspect(stack: Stack, name: str) -> dict[str, Any]:
    result: list[dict[str, Any]] = json.loads(stack.run("image", "inspect", name).stdout)
    return result[0]


def _manifest(stack: Stack, name: str) -> dict[str, Any]:
    digest = str(inspect(stack, name)["Manifest"]["digest"])
    blob = stack.layout.images / "blobs" / "sha256" / digest.removeprefix("sha256:")
    return dict(json.loads(blob.read_text()))


def image_config(stack: Stack, name: str) -> dict[str, Any]:
    manifest = _manifest(stack, name)
    digest = manifest["config"]["digest"].removeprefix("sha256:")
    return dict(json.loads((stack.layout.images / "blobs" / "sha256" / digest).read_text()))


def layer_members(stack: Stack, name: str) -> list[list[tarfile.TarInfo]]:
    layers = []
    for layer in _manifest(stack, name)["layers"]:
        blob = stack.layout.images / "blobs" / "sha256" / layer["digest"].removeprefix("sha256:")
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob.read_bytes()))) as tar:
            layers.append(tar.getmembers())
    return layers


def flatten(stack: Stack, name: str) -> dict[str, tuple[tarfile.TarInfo, bytes]]:
    """The image's files: every layer applied in order, whiteouts honoured."""
    files: dict[str, tuple[tarfile.TarInfo, bytes]] = {}
    for layer in _manifest(stack, name)["layers"]:
        blob = stack.layout.images / "blobs" / "sha256" / layer["digest"].removeprefix("sha256:")
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob.read_bytes()))) as tar:
            for member in tar.getmembers():
                path = member.name.rstrip("/")
                head, _, base = path.rpartition("/")
                if base == ".wh..wh..opq":
                    files = {k: v for k, v in files.items() if not k.startswith(head + "/")}
                elif base.startswith(".wh."):
                    gone = f"{head}/{base[4:]}" if head else base[4:]
                    files = {k: v for k, v in files.items()
                             if k != gone and not k.startswith(gone + "/")}
                else:
                    data = b""
                    if member.isreg():
                        handle = tar.extractfile(member)
                        data = handle.read() if handle else b""
                    files[path] = (member, data)
    return files


def content(stack: Stack, name: str, path: str) -> str:
    return flatten(stack, name)[path][1].decode()


def test_multi_stage_build_copies_an_artifact(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox AS builder
        WORKDIR /src
        COPY src/ ./
        RUN mkdir /out && cat hello.txt world.txt > /out/artifact

        FROM busybox AS unused
        RUN exit 1

        FROM busybox
        COPY --from=builder /out/artifact /artifact
        CMD ["cat", "/artifact"]
        """, files={"src/hello.txt": "hello\n", "src/world.txt": "world\n"})
    result = stack.run("build", cwd=app)
    assert "unused" not in result.stderr  # a stage the target does not need is skipped
    files = flatten(stack, "b-app")
    assert files["artifact"][1] == b"hello\nworld\n"
    assert "src/hello.txt" not in files  # the builder stage's files stay there
    config = image_config(stack, "b-app")
    assert config["config"]["Cmd"] == ["cat", "/artifact"]
    assert len(config["rootfs"]["diff_ids"]) == 2  # busybox + the COPY


def test_dockerignore_is_honoured(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox
        COPY . /ctx/
        """, files={".dockerignore": "secret.txt\n*.log\nlogs\n!logs/keep.log\n",
                    "secret.txt": "s", "main.txt": "m", "debug.log": "d",
                    "logs/a.log": "a", "logs/keep.log": "k"})
    stack.run("build", cwd=app)
    files = flatten(stack, "b-app")
    present = {p for p in files if p.startswith("ctx/")}
    assert "ctx/main.txt" in present and "ctx/logs/keep.log" in present
    assert not present & {"ctx/secret.txt", "ctx/debug.log", "ctx/logs/a.log"}


def test_arg_and_env_expansion(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        ARG BASE=busybox
        ARG GLOBAL=global-default
        FROM ${BASE}
        ARG GLOBAL
        ARG FROM_CLI=default
        ARG SHADOWED=arg
        ENV SHADOWED=env DIR=/data
        ENV COMBINED=${FROM_CLI}-${UNSET:-fallback}
        WORKDIR $DIR
        RUN echo "$GLOBAL $FROM_CLI $SHADOWED $COMBINED" > values && env > env.txt
        LABEL version=$FROM_CLI
        """, compose="""\
        name: b
        services:
          app:
            build:
              context: .
              args: {FROM_CLI: from-file}
        """)
    result = stack.run("build", "--build-arg", "FROM_CLI=from-cli", "--build-arg",
                       "NOT_USED=x", cwd=app)
    assert "NOT_USED" in result.stderr  # docker's warning about unconsumed build args
    assert content(stack, "b-app", "data/values") == \
        "global-default from-cli env from-cli-fallback\n"
    config = image_config(stack, "b-app")["config"]
    assert "COMBINED=from-cli-fallback" in config["Env"]
    assert not any(e.startswith("FROM_CLI=") for e in config["Env"])  # ARGs stay out
    assert "FROM_CLI=from-cli" in content(stack, "b-app", "data/env.txt")
    assert config["Labels"] == {"version": "from-cli"}
    assert config["WorkingDir"] == "/data"


def test_user_and_workdir_apply_to_run(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox
        RUN mkdir /work && chown nobody /work
        WORKDIR /work
        USER nobody
        RUN id -u > uid && pwd > pwd && touch owned
        USER root
        WORKDIR sub
        RUN pwd > /work/second && id -u >> /work/second
        """)
    stack.run("build", cwd=app)
    files = flatten(stack, "b-app")
    assert files["work/uid"][1] == b"65534\n"
    assert files["work/pwd"][1] == b"/work\n"
    assert files["work/owned"][0].uid == 65534
    assert files["work/second"][1] == b"/work/sub\n0\n"


def test_deleted_file_is_a_whiteout(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox
        RUN rm /etc/group && rm -r /var/www && mkdir -p /home/x
        RUN rm -r /home && mkdir /home && touch /home/fresh
        RUN mv /usr/sbin /usr/sbin-moved
        """)
    stack.run("build", cwd=app)
    layers = layer_members(stack, "b-app")
    first = {m.name for m in layers[1]}
    assert {"etc/.wh.group", "var/.wh.www"} <= first
    files = flatten(stack, "b-app")
    assert "etc/group" not in files and "var/www" not in files
    assert "etc/passwd" in files
    assert "home/fresh" in files and "home/x" not in files
    # a renamed directory is copied whole (no overlayfs redirect), its old name whited out
    moved = {p for p in files if p.startswith("usr/sbin-moved/")}
    assert moved and not any(p.startswith("usr/sbin/") for p in files)
    # no mount points left behind by the runtime in the layers
    assert not any(m.name.startswith(("proc", "sys", "dev")) or m.name == "etc/hosts"
                   for layer in layers[1:] for m in layer)


def test_cache_hit_on_rebuild_and_miss_after_change(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox
        RUN echo first > /first
        COPY input.txt /input.txt
        RUN cat /input.txt > /copy
        """, files={"input.txt": "one\n"})
    stack.run("build", cwd=app)
    first_id = inspect(stack, "b-app")["Id"]
    again = stack.run("build", cwd=app)
    assert again.stderr.count("CACHED") == 3
    assert inspect(stack, "b-app")["Id"] == first_id  # an unchanged rebuild, same image
    (app / "input.txt").write_text("two\n")
    changed = stack.run("build", cwd=app)
    assert "CACHED [app 2/4] RUN echo first" in changed.stderr
    assert "CACHED [app 3/4]" not in changed.stderr
    assert "CACHED [app 4/4]" not in changed.stderr
    assert content(stack, "b-app", "copy") == "two\n"
    no_cache = stack.run("build", "--no-cache", cwd=app)
    assert "CACHED" not in no_cache.stderr


def test_failing_run_is_reported_and_nothing_tagged(busybox_stack: Stack,
                                                    tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox
        RUN echo visible-output && echo on-stderr >&2 && exit 3
        """)
    result = stack.run("build", cwd=app, check=False)
    assert result.returncode == 1
    assert "visible-output" in result.stderr and "on-stderr" in result.stderr
    assert "ERROR [app 2/2] RUN echo visible-output" in result.stderr
    assert "exit code: 3" in result.stderr
    assert "Traceback" not in result.stderr
    assert stack.run("image", "inspect", "b-app", check=False).returncode != 0


def test_bad_dockerfile_is_one_line(busybox_stack: Stack, tmp_path: Path) -> None:
    app = project(tmp_path / "app", "FROM busybox\nBOGUS x\n")
    result = busybox_stack.run("build", cwd=app, check=False)
    assert result.returncode == 1
    assert "Dockerfile:2: unknown instruction: BOGUS" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_base_image_offline(busybox_stack: Stack, tmp_path: Path) -> None:
    app = project(tmp_path / "app", "FROM 127.0.0.1:1/nothing:1\n")
    result = busybox_stack.run("build", cwd=app, check=False)
    assert result.returncode == 1
    assert "base image 127.0.0.1:1/nothing:1" in result.stderr


def test_up_build_runs_the_built_image(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox
        COPY message.txt /message.txt
        CMD ["cat", "/message.txt"]
        """, compose="""\
        name: b
        services:
          app:
            build: .
            image: custom/app:dev
          policy:
            build: .
            pull_policy: build
        """, files={"message.txt": "built by pycompose\n"})
    try:
        result = stack.run("up", "--build", "--no-log-prefix", "-t", "0", cwd=app)
        assert result.stdout.count("built by pycompose") == 2
        assert inspect(stack, "custom/app:dev")["Id"] == inspect(stack, "b-policy")["Id"]
        (app / "message.txt").write_text("changed\n")
        # a present image is not rebuilt without --build, except for pull_policy: build
        result = stack.run("up", "--no-log-prefix", "-t", "0", cwd=app)
        assert "built by pycompose" in result.stdout and "changed" in result.stdout
    finally:
        stack.run("down", "-t", "0", cwd=app, check=False)


def test_scratch_image_with_static_binary(busybox_stack: Stack, tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM scratch
        COPY busybox /bin/busybox
        SHELL ["/bin/busybox", "sh", "-c"]
        RUN /bin/busybox mkdir -p /etc && echo "made in scratch" > /etc/motd
        CMD ["/bin/busybox", "cat", "/etc/motd"]
        """)
    shutil.copy("/bin/busybox", app / "busybox")
    stack.run("build", cwd=app)
    # the layers as a container gets them from the blobs (verified against the diff_ids)
    shutil.rmtree(stack.layout.layers)
    try:
        result = stack.run("up", "--no-log-prefix", "-t", "0", cwd=app)
        assert "made in scratch" in result.stdout
    finally:
        stack.run("down", "-t", "0", cwd=app, check=False)
    config = image_config(stack, "b-app")
    assert len(config["rootfs"]["diff_ids"]) == 2
    assert config["history"][0]["created_by"] == "COPY busybox /bin/busybox"


def test_copy_options_add_archive_heredocs_and_mounts(busybox_stack: Stack,
                                                      tmp_path: Path) -> None:
    stack = busybox_stack
    app = tmp_path / "app"
    app.mkdir()
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as tar:
        data = b"from the archive\n"
        info = tarfile.TarInfo("inner/file.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (app / "bundle.tar.gz").write_bytes(payload.getvalue())
    (app / "token.txt").write_text("s3cret")
    project(app, """\
        FROM busybox
        ARG NAME=world
        COPY --chown=nobody:nogroup --chmod=600 conf.txt /conf.txt
        ADD bundle.tar.gz /opt/
        COPY <<EOF /greeting
        hello $NAME
        EOF
        RUN <<EOT
        echo one > /script
        echo two >> /script
        EOT
        RUN --mount=type=secret,id=token cat /run/secrets/token > /seen-secret
        RUN --mount=type=cache,target=/cache echo x >> /cache/n && wc -l < /cache/n > /count
        ONBUILD RUN echo triggered > /onbuild
        """, compose="""\
        name: b
        services:
          app:
            build:
              context: .
              secrets: [token]
        secrets:
          token:
            file: ./token.txt
        """, files={"conf.txt": "c"})
    stack.run("build", cwd=app)
    files = flatten(stack, "b-app")
    conf = files["conf.txt"][0]
    assert (conf.uid, conf.gid, conf.mode) == (65534, 65534, 0o600)
    assert files["opt/inner/file.txt"][1] == b"from the archive\n"
    assert files["greeting"][1] == b"hello world\n"
    assert files["script"][1] == b"one\ntwo\n"
    assert files["seen-secret"][1] == b"s3cret"
    assert "run/secrets/token" not in files
    assert "cache/n" not in files
    assert files["count"][1].strip() == b"1"
    assert image_config(stack, "b-app")["config"]["OnBuild"] == ["RUN echo triggered > /onbuild"]
    child = project(tmp_path / "child", "FROM b-app\nRUN true\n",
                    compose="name: c\nservices:\n  child:\n    build: .\n")
    stack.run("build", cwd=child)
    assert content(stack, "c-child", "onbuild") == "triggered\n"
    assert not image_config(stack, "c-child")["config"].get("OnBuild")


def test_run_mount_from_stage_and_script_heredoc(busybox_stack: Stack,
                                                 tmp_path: Path) -> None:
    stack = busybox_stack
    app = project(tmp_path / "app", """\
        FROM busybox AS tools
        RUN mkdir /tools && echo 'echo tool ran' > /tools/tool.sh

        FROM busybox
        RUN --mount=type=bind,from=tools,source=/tools,target=/mnt/tools \\
            sh /mnt/tools/tool.sh > /tool-output
        RUN <<EOF
        #!/bin/sh
        echo "script as $(id -u)" > /script-output
        EOF
        """)
    stack.run("build", cwd=app)
    files = flatten(stack, "b-app")
    assert files["tool-output"][1] == b"tool ran\n"
    assert files["script-output"][1] == b"script as 0\n"
    assert not any(p.startswith(("mnt/", "tools")) for p in files)
    assert not any(p.startswith("dev/") for p in files)


@pytest.mark.parametrize("network", ["none", "default"])
def test_run_has_no_network_but_loopback(busybox_stack: Stack, tmp_path: Path,
                                         network: str) -> None:
    app = project(tmp_path / "app", """\
        FROM busybox
        RUN ls /sys/class/net > /links && cat /etc/hosts > /hosts && \\
            df -k /dev/shm | tail -1 > /shm
        """, compose=f"""\
        name: b
        services:
          app:
            build:
              context: .
              network: {network}
              extra_hosts: ["db.internal=10.9.8.7"]
              shm_size: 32m
        """)
    busybox_stack.run("build", cwd=app)
    assert content(busybox_stack, "b-app", "links").split() == ["lo"]
    assert "10.9.8.7\tdb.internal" in content(busybox_stack, "b-app", "hosts")
    assert content(busybox_stack, "b-app", "shm").split()[1] == str(32 * 1024)
    assert "etc/hosts" not in flatten(busybox_stack, "b-app")


def test_base_image_pulled_when_missing(registry_stack: Stack, registry: Registry,
                                        tmp_path: Path) -> None:
    stack = registry_stack
    base = "127.0.0.1:5000/lib/busybox:1"
    stack.run("image", "tag", "busybox", base)
    stack.run("image", "push", base)
    stack.run("image", "rm", base)
    app = project(tmp_path / "app", f"""\
        FROM {base}
        RUN echo on a pulled base > /note
        """)
    result = stack.run("build", cwd=app)
    assert "Pull complete" in result.stderr or "Pulled" in result.stderr
    assert content(stack, "b-app", "note") == "on a pulled base\n"
    manifests = len(registry.requests("GET", "/manifests/"))
    stack.run("build", cwd=app)  # in the store now: not pulled again
    assert len(registry.requests("GET", "/manifests/")) == manifests
    stack.run("build", "--pull", cwd=app)  # --pull asks the registry again
    assert len(registry.requests("GET", "/manifests/")) > manifests
