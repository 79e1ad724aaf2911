"""Bad input ends in one line on stderr naming the file, line and key, exit status 1,
never a traceback, and nothing created (these run before any container work)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from common.paths import Layout

REPO = Path(__file__).resolve().parents[2]


def pycompose(cwd: Path, *args: str, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if k not in {"COMPOSE_FILE", "COMPOSE_PROJECT_NAME"}}
    environ.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1",
                    "PYCOMPOSE_ROOT": str(cwd / ".state")}, **(env or {}))
    try:
        return subprocess.run([sys.executable, "-m", "compose", *args], cwd=cwd,
                              env=environ, capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(Layout.from_environ(environ).run, ignore_errors=True)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def project(tmp_path: Path, text: str, name: str = "compose.yaml") -> Path:
    (tmp_path / name).write_text(textwrap.dedent(text).lstrip())
    return tmp_path


def test_missing_file(tmp_path: Path) -> None:
    line = one_line_error(pycompose(tmp_path, "-f", "nope.yaml", "up", "-d"))
    assert line == "error: nope.yaml: no such file"


def test_no_compose_file_anywhere(tmp_path: Path) -> None:
    line = one_line_error(pycompose(tmp_path, "ps"))
    assert "no configuration file provided" in line


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
            command: [sh, -c
          other:
            image: busybox
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert line.startswith("error: compose.yaml:5:")
    assert "YAML syntax error" in line


def test_unknown_key_names_its_line(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
            imagee: typo
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert line == ("error: compose.yaml:4:5: services.web.imagee: "
                    "additional property 'imagee' is not allowed")


def test_wrong_type_names_the_key(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
            environment: 12
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert line.startswith("error: compose.yaml:4:")
    assert "services.web.environment" in line


def test_unknown_service_on_the_command_line(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
    """)
    for verb in (["up", "-d", "nosuch"], ["logs", "nosuch"], ["ps", "nosuch"]):
        line = one_line_error(pycompose(tmp_path, *verb))
        assert line == "error: no such service: nosuch"


def test_undefined_dependency_names_its_line(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
            depends_on: [db]
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert line.startswith("error: compose.yaml:4:")
    assert "undefined service 'db'" in line


def test_dependency_cycle(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          a:
            image: busybox
            depends_on: [b]
          b:
            image: busybox
            depends_on: [a]
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert "dependency cycle between services: a -> b -> a" in line


def test_required_variable(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: "busybox:${TAG:?set TAG first}"
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert line.startswith("error: compose.yaml:3:")
    assert "set TAG first" in line


def test_empty_file(tmp_path: Path) -> None:
    project(tmp_path, "")
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert line.startswith("error: compose.yaml")


@pytest.mark.parametrize("name", ["UPPER", "_lead", "a b"])
def test_invalid_project_name(tmp_path: Path, name: str) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
    """)
    line = one_line_error(pycompose(tmp_path, "-p", name, "up", "-d"))
    assert "invalid project name" in line


@pytest.mark.skipif(os.geteuid() != 0, reason="the image lookup runs after the root check")
def test_missing_image_creates_nothing(tmp_path: Path) -> None:
    project(tmp_path, """
        services:
          web:
            image: nosuch:1
    """)
    line = one_line_error(pycompose(tmp_path, "up", "-d"))
    assert "service web: image nosuch:1 is not in the local store" in line
    assert not (tmp_path / ".state" / "containers").exists()
    assert not (tmp_path / ".state" / "projects").exists()


# --- the container verbs -----------------------------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    (("run", "--rm", "-d", "web"), "error: --rm and -d cannot be combined"),
    (("run", "nope"), "error: no such service: nope"),
    (("exec", "nope", "true"), "error: no such service: nope"),
    (("kill", "-s", "SIGBOGUS"), "error: invalid signal: SIGBOGUS"),
    (("cp", "/a", "/b"), "error: cp: exactly one of SRC and DEST must be SERVICE:PATH"),
    (("cp", "web:/a", "-"), "error: cp: copying a tar stream through - is not supported"),
    (("pause", "nope"), "error: no such service: nope"),
    (("attach", "nope"), "error: no such service: nope"),
    (("attach", "web"), 'error: service "web" is not running'),
    (("attach", "--index", "2", "web"), 'error: service "web" is not running container #2'),
    (("attach", "--detach-keys", "ctrl-pq", "web"),
     "error: Invalid detach keys (ctrl-pq) provided"),
])
def test_container_verbs_refuse_bad_arguments(tmp_path: Path, args: tuple[str, ...],
                                              expected: str) -> None:
    project(tmp_path, """
        services:
          web:
            image: busybox
    """)
    assert one_line_error(pycompose(tmp_path, *args)) == expected


@pytest.mark.parametrize("folder", ["shop", "my shop"])
def test_systemd_unit_is_valid_for_systemd(tmp_path: Path, folder: str) -> None:
    tmp_path = tmp_path / folder
    tmp_path.mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: busybox\n")
    result = pycompose(tmp_path, "systemd")
    assert result.returncode == 0, result.stderr
    assert " up -d" in result.stdout and f"{tmp_path}/compose.yaml" in result.stdout
    installed = pycompose(tmp_path, "systemd", "--install", "--unit-dir", str(tmp_path / "u"))
    assert installed.returncode == 0, installed.stderr
    unit = tmp_path / "u" / f"pycompose-{folder.replace(' ', '')}.service"
    assert unit.read_text() == result.stdout
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True)
    assert verify.returncode == 0, verify.stderr


def test_build_bad_input(tmp_path: Path) -> None:
    directory = project(tmp_path, """
        services:
          web:
            build: .
    """)
    assert one_line_error(pycompose(directory, "build", "--build-arg", "=x")) == \
        "error: --build-arg '=x': expected KEY=VALUE"
    assert one_line_error(pycompose(directory, "build", "nope")) == "error: no such service: nope"
    result = pycompose(directory, "up", "--build", "--no-build")
    assert result.returncode == 2 and "not allowed with argument" in result.stderr


@pytest.mark.parametrize(("text", "expected"), [
    ("services:\n  web:\n    build: .\n",
     'error: your Compose stack cannot be published as it only contains a build section '
     'for service(s): "web"'),
    ("services:\n  web:\n    image: busybox\n    environment: [A=1]\n",
     'error: service "web" has environment variable(s) declared. To avoid leaking sensitive '
     'data, you must either explicitly allow the sending of environment variables by using '
     'the --with-env flag, or remove sensitive data from your Compose configuration'),
    ("include: [other.yaml]\nservices:\n  web:\n    image: busybox\n",
     "error: cannot publish compose file with local includes"),
    ("services:\n  web:\n    image: busybox\n    volumes: [/srv:/srv]\n",
     "error: you are about to publish bind mounts declaration within your OCI artifact "
     "(only the declarations, not their content): web: /srv:/srv. Pass -y to publish them."),
])
def test_publish_refuses_what_docker_compose_refuses(tmp_path: Path, text: str,
                                                     expected: str) -> None:
    (tmp_path / "compose.yaml").write_text(text)
    (tmp_path / "other.yaml").write_text("services:\n  other:\n    image: busybox\n")
    result = pycompose(tmp_path, "publish", "127.0.0.1:1/never/pushed:1")
    assert one_line_error(result) == expected
