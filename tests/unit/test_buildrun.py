"""A RUN step's OCI config, the mount points cleaned from its root, and the
progress view's lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from common.errors import BuildError
from common.images import BuildResult
from common.progress import BuildEvent
from compose.cli.views.buildview import BuildView
from runtime.build.steprun import RunMount, RunStep, _missing_stubs, _remove_stubs, run_spec
from runtime.ocispec.host import HostFacts


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n"
                                             "app:x:1000:1000::/home/app:/bin/sh\n")
    (tmp_path / "etc" / "group").write_text("root:x:0:\napp:x:1000:\nextra:x:5000:app\n")
    return tmp_path


def step(**changes: object) -> RunStep:
    values: dict[str, object] = {"args": ("/bin/sh", "-c", "true"), "env": ("A=1",),
                                 "cwd": "/work", "user": "", "network": "none"}
    values.update(changes)
    return RunStep(**values)  # type: ignore[arg-type]


def test_run_spec_process(root: Path) -> None:
    spec = run_spec(step(user="app"), root, {"/etc/hosts": "/h"}, "cid")
    process = spec["process"]
    assert process["args"] == ["/bin/sh", "-c", "true"]
    assert process["env"] == ["A=1"]
    assert process["cwd"] == "/work"
    assert process["user"] == {"uid": 1000, "gid": 1000, "additionalGids": [5000]}
    assert spec["root"]["path"] == str(root)
    assert spec["hostname"] == "buildkitsandbox"
    assert {"destination": "/etc/hosts", "type": "bind", "source": "/h",
            "options": ["rbind", "rprivate"]} in spec["mounts"]


def test_run_spec_network(root: Path) -> None:
    types = [n["type"] for n in run_spec(step(), root, {}, "c")["linux"]["namespaces"]]
    assert "network" in types
    types = [n["type"] for n in run_spec(step(network="host"), root, {}, "c")["linux"][
        "namespaces"]]
    assert "network" not in types


def test_run_spec_mounts(root: Path) -> None:
    mounts = (RunMount("/cache", "bind", "/host/cache"),
              RunMount("/run/secrets/t", "bind", "/host/t", readonly=True),
              RunMount("/tmp/x", "tmpfs"))
    spec = run_spec(step(mounts=mounts), root, {}, "c")
    by_target = {m["destination"]: m for m in spec["mounts"]}
    assert by_target["/cache"]["options"] == ["rbind", "rprivate", "rw"]
    assert by_target["/run/secrets/t"]["options"] == ["rbind", "rprivate", "ro"]
    assert by_target["/tmp/x"]["type"] == "tmpfs"


def test_run_spec_security_from_host(root: Path) -> None:
    host = HostFacts(bounding=(1 << 41) - 1)
    spec = run_spec(step(), root, {}, "c", host)
    assert "CAP_CHOWN" in spec["process"]["capabilities"]["bounding"]
    assert "CAP_SYS_ADMIN" not in spec["process"]["capabilities"]["bounding"]
    assert spec["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
    limited = run_spec(step(), root, {}, "c", HostFacts(bounding=1))  # CAP_CHOWN only
    assert limited["process"]["capabilities"]["bounding"] == ["CAP_CHOWN"]


def test_run_spec_unknown_user(root: Path) -> None:
    with pytest.raises(BuildError, match="unable to find user nobody"):
        run_spec(step(user="nobody"), root, {}, "c")


def test_stubs_made_by_the_runtime_are_removed(root: Path) -> None:
    (root / "proc").mkdir()  # the image has /proc already: kept
    stubs = _missing_stubs(root, ["/run/secrets/token", "/cache"])
    assert ("/etc/hosts", "/etc/hosts") in stubs
    assert ("/run", "/run/secrets/token") in stubs
    assert not any(first == "/proc" for first, _ in stubs)
    # what the runtime creates
    for directory in ("sys", "dev", "run/secrets", "cache"):
        (root / directory).mkdir(parents=True)
    (root / "etc" / "hosts").write_text("")
    (root / "run" / "secrets" / "token").write_text("")
    (root / "cache" / "kept").write_text("the step wrote here")  # not empty: stays
    _remove_stubs(root, stubs)
    assert sorted(p.name for p in root.iterdir()) == ["cache", "etc", "proc"]
    assert not (root / "etc" / "hosts").exists()


def result() -> BuildResult:
    return BuildResult("sha256:x", "sha256:y", ("p-web",), 1, 3)


def view(quiet: bool = False) -> tuple[BuildView, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, no_color=True, width=200)
    return BuildView(console, quiet=quiet), buffer


def test_view_lines() -> None:
    shown, buffer = view()
    shown.start("web")
    shown.report(BuildEvent("web", 1, 3, "FROM busybox", "done", 0.01))
    shown.report(BuildEvent("web", 2, 3, "COPY . /app", "cached"))
    shown.report(BuildEvent("web", 3, 3, "RUN make", "running"))
    shown.report(BuildEvent("web", 3, 3, "compiling", "output"))
    shown.report(BuildEvent("web", 3, 3, "RUN make", "done", 1.25))
    shown.finish("web", result())
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "[+] Building web"
    assert lines[1] == " => [web 1/3] FROM busybox  0.0s"
    assert lines[2] == " => CACHED [web 2/3] COPY . /app"
    assert lines[3] == "#3 compiling"
    assert lines[4] == " => [web 3/3] RUN make  1.2s"
    assert "Built" in lines[5] and "1 cached" in lines[5]
    assert lines[6] == " => naming to p-web"


def test_view_error_block_even_when_quiet() -> None:
    shown, buffer = view(quiet=True)
    shown.report(BuildEvent("web", 2, 2, "RUN false", "running"))
    shown.report(BuildEvent("web", 2, 2, "out 1", "output"))
    shown.report(BuildEvent("web", 2, 2, "RUN false: failed", "error", 0.5))
    assert buffer.getvalue().splitlines() == [
        " => ERROR [web 2/2] RUN false  0.5s", "------", " > [web 2/2] RUN false:",
        "out 1", "------"]


def test_live_view_shows_running_step_and_its_output() -> None:
    buffer = io.StringIO()
    shown = BuildView(Console(file=buffer, no_color=True, width=200), live=True)
    shown.start("web")
    shown.report(BuildEvent("web", 1, 2, "FROM busybox", "done"))
    shown.report(BuildEvent("web", 2, 2, "RUN make", "running"))
    for n in range(10):
        shown.report(BuildEvent("web", 2, 2, f"line {n}", "output"))
    block = [t.plain for t in shown.render().renderables]  # type: ignore[attr-defined]
    assert block[0].startswith("[+] Building ") and block[0].endswith("(2/2)")
    assert block[1] == " => [web 1/2] FROM busybox  0.0s"
    assert block[2].startswith(" => [web 2/2] RUN make")
    assert block[3:] == [f" => => # line {n}" for n in range(4, 10)]
    shown.report(BuildEvent("web", 2, 2, "RUN make", "done", 2.0))
    shown.finish("web", result())
    text = buffer.getvalue()
    assert " => [web 2/2] RUN make  2.0s" in text and "line 9" not in text.split("Built")[-1]
