"""Project options as docker compose resolves them: env files, profiles, name, variables.

Every expectation here was checked against docker compose v2.40.3.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from common.errors import UsageError
from compose import app as cli
from compose.spec.loader import LoadOptions, load_raw

LABELED = "services:\n  s:\n    image: x\n    labels:\n      v: ${V:-unset}\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _raw(cwd: Path, *files: str, environ: Mapping[str, str] | None = None,
         **options: object) -> dict[str, object]:
    return load_raw(LoadOptions(files=files, cwd=str(cwd), environ=dict(environ or {}),
                                **options)).data  # type: ignore[arg-type]


def _label(cwd: Path, *files: str, **kwargs: object) -> object:
    data = _raw(cwd, *files, **kwargs)  # type: ignore[arg-type]
    return data["services"]["s"]["labels"]["v"]  # type: ignore[index]


def _config(cwd: Path, *args: str, environ: Mapping[str, str] | None = None) -> str:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(args), environ=dict(environ or {}), cwd=str(cwd), stdout=out,
                    stderr=err)
    assert code == 0, err.getvalue()
    return out.getvalue()


# --- env files ------------------------------------------------------------------------


def test_cwd_dotenv_is_read_first_and_wins(tmp_path: Path) -> None:
    # `docker compose` in sub/ finds ../compose.yaml: sub/.env, then ../.env fills gaps
    _write(tmp_path / "compose.yaml", "services:\n  s:\n    image: x\n    labels:\n"
                                      "      v: $A-$B\n")
    _write(tmp_path / ".env", "A=root\nB=root\n")
    _write(tmp_path / "sub" / ".env", "A=sub\n")
    assert _label(tmp_path / "sub") == "sub-root"


def test_compose_file_from_dotenv(tmp_path: Path) -> None:
    _write(tmp_path / "app" / "one.yaml", LABELED)
    _write(tmp_path / ".env", "COMPOSE_FILE=app/one.yaml\nV=from-dotenv\n")
    assert _label(tmp_path) == "from-dotenv"


def test_env_files_later_wins_and_expansion_sees_the_environment_first(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "services:\n  s:\n    image: x\n    labels:\n"
                                      "      v: $URL\n")
    _write(tmp_path / "base.env", "HOST=base\nURL=http://${HOST}\n")
    _write(tmp_path / "over.env", "HOST=over\nURL=http://${HOST}\n")
    files = ("base.env", "over.env")
    assert _label(tmp_path, env_files=files) == "http://over"
    assert _label(tmp_path, env_files=files, environ={"HOST": "os"}) == "http://os"


def test_compose_env_files_variable(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", LABELED)
    _write(tmp_path / ".env", "V=dotenv\n")
    _write(tmp_path / "a.env", "V=a\n")
    assert _label(tmp_path, environ={"COMPOSE_ENV_FILES": "a.env"}) == "a"
    assert _label(tmp_path, environ={"COMPOSE_DISABLE_ENV_FILE": "true"}) == "unset"


def test_missing_env_file_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", LABELED)
    with pytest.raises(UsageError, match=r"couldn.t find env file: .*nope\.env"):
        _raw(tmp_path, env_files=("nope.env",))


# --- project name -----------------------------------------------------------------------


def test_compose_project_name_is_a_variable(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "name: Interpolated\nservices:\n  s:\n    image: x\n"
                                      "    labels:\n      v: ${COMPOSE_PROJECT_NAME}\n")
    assert _label(tmp_path) == "interpolated"
    assert _label(tmp_path, project_name="cli") == "cli"


def test_last_name_key_wins(tmp_path: Path) -> None:
    _write(tmp_path / "a.yaml", "name: first\n" + LABELED)
    _write(tmp_path / "b.yaml", "name: ${N:-second}\n")
    assert load_raw(LoadOptions(files=("a.yaml", "b.yaml"), cwd=str(tmp_path),
                                environ={})).name == "second"


# --- profiles ---------------------------------------------------------------------------

PROFILED = """\
services:
  plain:
    image: x
  one:
    image: x
    profiles: [p1]
  two:
    image: x
    profiles: [p2, p3]
"""


@pytest.mark.parametrize(
    ("profiles", "environ", "services", "expected"),
    [
        ((), {}, (), ["plain"]),
        (("p1",), {}, (), ["plain", "one"]),
        (("*",), {}, (), ["plain", "one", "two"]),
        ((), {"COMPOSE_PROFILES": " p3 , p1"}, (), ["plain", "one", "two"]),
        (("p1",), {"COMPOSE_PROFILES": "p2"}, (), ["plain", "one"]),  # the flag wins
        ((), {}, ("two",), ["plain", "two"]),  # a named service enables its profiles
    ],
)
def test_profiles(tmp_path: Path, profiles: tuple[str, ...], environ: dict[str, str],
                  services: tuple[str, ...], expected: list[str]) -> None:
    _write(tmp_path / "compose.yaml", PROFILED)
    data = _raw(tmp_path, environ=environ, profiles=profiles, services=services)
    assert list(data["services"]) == expected  # type: ignore[call-overload]


def test_profiles_from_dotenv(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", PROFILED)
    _write(tmp_path / ".env", "COMPOSE_PROFILES=p2\n")
    assert list(_raw(tmp_path)["services"]) == ["plain", "two"]  # type: ignore[call-overload]


def test_config_profiles_lists_every_profile(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", PROFILED)
    assert _config(tmp_path, "config", "--profiles") == "p1\np2\np3\n"


# --- config --variables -----------------------------------------------------------------


def test_config_variables(tmp_path: Path) -> None:
    _write(tmp_path / "compose.yaml", "name: ${N:-x}\nservices:\n  s:\n    image: ${IMG?}\n"
                                      "    command: [\"${A:+yes}\", \"$$B\", \"${C:-8080}\"]\n")
    assert _config(tmp_path, "config", "--variables", "--format", "yaml") == (
        "A:\n    name: A\n    defaultvalue: \"\"\n    presencevalue: \"yes\"\n"
        "    required: false\n"
        "C:\n    name: C\n    defaultvalue: \"8080\"\n    presencevalue: \"\"\n"
        "    required: false\n"
        "IMG:\n    name: IMG\n    defaultvalue: \"\"\n    presencevalue: \"\"\n"
        "    required: true\n")
    table = _config(tmp_path, "config", "--variables").splitlines()
    assert table[0] == "NAME                REQUIRED            DEFAULT VALUE       ALTERNATE VALUE"
    assert table[1] == "A                   false                                   yes"


def test_a_folder_reached_through_a_symlink_keeps_its_path(tmp_path: Path) -> None:
    """Checked against docker compose v2.40.3: paths, build context and the name
    come from the path as given (``-f link/compose.yaml``, or ``$PWD`` in the link),
    with docker compose's warning when the name is the link's."""
    _write(tmp_path / "real" / "compose.yaml", "services:\n  s:\n    image: x\n    build: .\n"
           "    volumes: ['./d:/d']\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    raw = load_raw(LoadOptions(files=("link/compose.yaml",), cwd=str(tmp_path), environ={}))
    assert raw.working_dir == str(tmp_path / "link")
    assert raw.name == "link"
    assert raw.warnings == ('project has been loaded without an explicit name from a '
                            'symlink. Using name "link"',)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["config"], environ={"PWD": str(tmp_path / "link")},
                    cwd=str(tmp_path / "link"), stdout=out, stderr=err)
    assert code == 0, err.getvalue()
    assert f"context: {tmp_path}/link\n" in out.getvalue()
    assert f"source: {tmp_path}/link/d\n" in out.getvalue()


def test_working_directory_is_pwd_only_when_pwd_is_here(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from common.paths import working_directory

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.chdir(tmp_path / "link")
    assert working_directory({"PWD": str(tmp_path / "link")}) == str(tmp_path / "link")
    assert working_directory({"PWD": str(tmp_path)}) == str(tmp_path / "real")
    assert working_directory({"PWD": "relative"}) == str(tmp_path / "real")
    assert working_directory({}) == str(tmp_path / "real")
