"""compose/spec/loader.py: Compose files on disk to a Project."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from common.errors import ComposeFileError, UsageError
from compose.spec.load.discover import DEFAULT_FILES, find_files
from compose.spec.loader import Loaded, LoadOptions, load_project
from compose.spec.model import DEFAULT_NETWORK, Dependency, Hook, Network, frozen_map

SIMPLE = "services:\n  web:\n    image: busybox\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _load(directory: Path, *files: str, environ: Mapping[str, str] | None = None,
          project_name: str | None = None, cwd: Path | None = None) -> Loaded:
    return load_project(LoadOptions(
        files=tuple(files), cwd=str(cwd or directory), environ=dict(environ or {}),
        project_name=project_name,
    ))


def _error(directory: Path, text: str, environ: Mapping[str, str] | None = None
           ) -> ComposeFileError:
    _write(directory / "compose.yaml", text)
    with pytest.raises(ComposeFileError) as info:
        _load(directory, "compose.yaml", environ=environ)
    return info.value


@pytest.fixture
def app(tmp_path: Path) -> Path:
    directory = tmp_path / "app"
    directory.mkdir()
    return directory


# --- file discovery --------------------------------------------------------------------


def test_explicit_file_relative_to_cwd(app: Path) -> None:
    _write(app / "conf" / "my.yml", SIMPLE)
    loaded = _load(app, "conf/my.yml")
    project = loaded.project
    assert project.config_files == (str((app / "conf" / "my.yml").resolve()),)
    # the project directory is the directory of the first file
    assert project.working_dir == str((app / "conf").resolve())
    assert project.name == "conf"


@pytest.mark.parametrize("name", DEFAULT_FILES)
def test_each_default_name_is_found(app: Path, name: str) -> None:
    _write(app / name, SIMPLE)
    assert find_files(LoadOptions(cwd=str(app), environ={})) == [str((app / name).resolve())]


def test_default_names_in_preference_order(app: Path) -> None:
    for name in DEFAULT_FILES:
        _write(app / name, SIMPLE)
    assert find_files(LoadOptions(cwd=str(app), environ={})) == [
        str((app / "compose.yaml").resolve())]
    (app / "compose.yaml").unlink()
    assert find_files(LoadOptions(cwd=str(app), environ={})) == [
        str((app / "compose.yml").resolve())]
    (app / "compose.yml").unlink()
    assert find_files(LoadOptions(cwd=str(app), environ={})) == [
        str((app / "docker-compose.yml").resolve())]  # compose-go's DefaultFileNames order


def test_file_found_in_a_parent_directory(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    deep = app / "a" / "b"
    deep.mkdir(parents=True)
    loaded = _load(app, cwd=deep)
    assert loaded.project.config_files == (str((app / "compose.yaml").resolve()),)
    assert loaded.project.working_dir == str(app.resolve())
    assert loaded.project.name == "app"


def test_nearest_directory_wins(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    _write(app / "sub" / "docker-compose.yml", SIMPLE)
    loaded = _load(app, cwd=app / "sub")
    assert loaded.project.config_files == (str((app / "sub" / "docker-compose.yml").resolve()),)


def test_project_directory_is_searched_instead_of_cwd(app: Path, tmp_path: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    loaded = load_project(LoadOptions(cwd=str(elsewhere), project_directory=str(app),
                                      environ={}))
    assert loaded.project.working_dir == str(app.resolve())


def test_compose_file_variable(app: Path) -> None:
    _write(app / "base.yml", SIMPLE)
    _write(app / "extra.yml", "services:\n  web:\n    hostname: h\n")
    _write(app / "compose.yaml", "services:\n  ignored:\n    image: x\n")
    loaded = _load(app, environ={"COMPOSE_FILE": f"base.yml{os.pathsep}extra.yml"})
    project = loaded.project
    assert project.config_files == (str((app / "base.yml").resolve()),
                                    str((app / "extra.yml").resolve()))
    assert list(project.services) == ["web"]
    assert project.services["web"].hostname == "h"


def test_explicit_files_beat_compose_file_variable(app: Path) -> None:
    _write(app / "a.yml", "services:\n  a:\n    image: x\n")
    _write(app / "b.yml", "services:\n  b:\n    image: x\n")
    loaded = _load(app, "a.yml", environ={"COMPOSE_FILE": "b.yml"})
    assert list(loaded.project.services) == ["a"]


def test_missing_explicit_file_is_a_usage_error(app: Path) -> None:
    with pytest.raises(UsageError, match=r"^nope\.yml: no such file$"):
        _load(app, "nope.yml")


def test_missing_compose_file_from_variable(app: Path) -> None:
    with pytest.raises(UsageError, match=r"gone\.yml: no such file"):
        _load(app, environ={"COMPOSE_FILE": "gone.yml"})


def test_directory_given_as_file_is_a_usage_error(app: Path) -> None:
    (app / "dir.yml").mkdir()
    with pytest.raises(UsageError, match="no such file"):
        _load(app, "dir.yml")


def test_no_file_anywhere_is_a_usage_error(app: Path) -> None:
    for parent in app.resolve().parents:
        if any((parent / name).is_file() for name in DEFAULT_FILES):
            pytest.skip(f"{parent} holds a Compose file")
    with pytest.raises(UsageError) as info:
        _load(app)
    assert "no configuration file provided" in str(info.value)
    assert "compose.yaml" in str(info.value)
    assert str(app.resolve()) in str(info.value)


def test_usage_error_is_not_a_compose_file_error(app: Path) -> None:
    with pytest.raises(UsageError) as info:
        _load(app, "missing.yml")
    assert not isinstance(info.value, ComposeFileError)


# --- project name ------------------------------------------------------------------------


def test_project_name_from_directory_is_normalised(tmp_path: Path) -> None:
    directory = tmp_path / "My_App.v2"
    _write(directory / "compose.yaml", SIMPLE)
    loaded = _load(directory, "compose.yaml")
    assert loaded.project.name == "my_appv2"
    assert loaded.project.networks == {
        DEFAULT_NETWORK: Network(DEFAULT_NETWORK, "my_appv2_default")}


def test_project_name_precedence(app: Path) -> None:
    _write(app / "compose.yaml", "name: from-file\n" + SIMPLE)
    env = {"COMPOSE_PROJECT_NAME": "from-env"}
    assert _load(app, "compose.yaml", environ=env, project_name="from-p").project.name == "from-p"
    assert _load(app, "compose.yaml", environ=env).project.name == "from-env"
    assert _load(app, "compose.yaml").project.name == "from-file"
    _write(app / "compose.yaml", SIMPLE)
    assert _load(app, "compose.yaml").project.name == "app"


def test_empty_compose_project_name_is_ignored(app: Path) -> None:
    _write(app / "compose.yaml", "name: from-file\n" + SIMPLE)
    loaded = _load(app, "compose.yaml", environ={"COMPOSE_PROJECT_NAME": ""})
    assert loaded.project.name == "from-file"


def test_name_key_is_normalised_and_interpolated(app: Path) -> None:
    _write(app / "compose.yaml", "name: My Project.${SUFFIX}\n" + SIMPLE)
    assert _load(app, "compose.yaml", environ={"SUFFIX": "X1"}).project.name == "myprojectx1"


def test_name_key_that_normalises_to_nothing(app: Path) -> None:
    _write(app / "compose.yaml", "name: '__..'\n" + SIMPLE)
    with pytest.raises(UsageError, match=r"^project name must not be empty$"):
        _load(app, "compose.yaml")


def test_name_key_interpolation_error_is_located(app: Path) -> None:
    err = _error(app, "name: ${N:?need}\n" + SIMPLE)
    assert (err.location.line, err.location.key) == (1, "name")
    assert err.message == ("error while interpolating name: "
                           "required variable N is missing a value: need")


@pytest.mark.parametrize("bad", ["My App", "UPPER", "-dash", "_under", "a.b"])
def test_invalid_dash_p_is_a_usage_error(app: Path, bad: str) -> None:
    _write(app / "compose.yaml", SIMPLE)
    with pytest.raises(UsageError) as info:
        _load(app, "compose.yaml", project_name=bad)
    assert str(info.value) == (
        f'invalid project name "{bad}": must consist only of lowercase alphanumeric '
        "characters, hyphens, and underscores as well as start with a letter or number")


def test_empty_dash_p_is_no_name(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    assert _load(app, "compose.yaml", project_name="").project.name == "app"


def test_invalid_compose_project_name_is_a_usage_error(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    with pytest.raises(UsageError, match='invalid project name "Bad Name"'):
        _load(app, "compose.yaml", environ={"COMPOSE_PROJECT_NAME": "Bad Name"})


@pytest.mark.parametrize("good", ["a", "0x", "my_app-2", "9"])
def test_valid_dash_p_is_kept_verbatim(app: Path, good: str) -> None:
    _write(app / "compose.yaml", SIMPLE)
    assert _load(app, "compose.yaml", project_name=good).project.name == good


def test_directory_that_normalises_to_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "__"
    _write(directory / "compose.yaml", SIMPLE)
    with pytest.raises(UsageError, match="project name must not be empty"):
        _load(directory, "compose.yaml")


def test_compose_project_name_from_dotenv(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    _write(app / ".env", "COMPOSE_PROJECT_NAME=fromdotenv\n")
    assert _load(app, "compose.yaml").project.name == "fromdotenv"


# --- services ---------------------------------------------------------------------------


def test_service_fields(app: Path) -> None:
    _write(app / "compose.yaml", """\
services:
  web:
    image: nginx:1.25
    command: sh -c 'echo "hello world" && sleep 1'
    entrypoint: ["/init", "--"]
    container_name: the-web
    hostname: webhost
    working_dir: /srv
    user: "1000:100"
    stop_signal: SIGQUIT
    stop_grace_period: 1m30s
    labels:
      com.example.a: "1"
      com.example.flag: true
""")
    service = _load(app, "compose.yaml").project.services["web"]
    assert service.name == "web"
    assert service.image == "nginx:1.25"
    assert service.command == ("sh", "-c", 'echo "hello world" && sleep 1')
    assert service.entrypoint == ("/init", "--")
    assert service.container_name == "the-web"
    assert service.hostname == "webhost"
    assert service.working_dir == "/srv"
    assert service.user == "1000:100"
    assert service.stop_signal == "SIGQUIT"
    assert service.stop_grace_period == 90.0
    assert dict(service.labels) == {"com.example.a": "1", "com.example.flag": "true"}
    assert service.networks == (DEFAULT_NETWORK,)


def test_defaults_of_a_minimal_service(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    service = _load(app, "compose.yaml").project.services["web"]
    assert service.command is None
    assert service.entrypoint is None
    assert dict(service.environment) == {}
    assert dict(service.depends_on) == {}
    assert service.stop_grace_period == 10.0
    assert service.user is None


@pytest.mark.parametrize(
    ("yaml_value", "expected"),
    [
        ("echo hi", ("echo", "hi")),
        ("echo 'a b' \"c d\" e\\ f", ("echo", "a b", "c d", "e f")),
        ("'sleep'", ("sleep",)),
        ("[sleep, '10']", ("sleep", "10")),
        ("['echo', 'a b']", ("echo", "a b")),
        ("[]", ()),
        ("''", ()),
        ("null", None),
    ],
)
def test_command_forms(app: Path, yaml_value: str, expected: tuple[str, ...] | None) -> None:
    _write(app / "compose.yaml", f"services:\n  web:\n    image: x\n    command: {yaml_value}\n")
    assert _load(app, "compose.yaml").project.services["web"].command == expected


def test_environment_list_form(app: Path) -> None:
    _write(app / "compose.yaml", """\
services:
  web:
    image: x
    environment:
      - A=1
      - EMPTY=
      - EQ=a=b
      - FROM_ENV
      - MISSING
""")
    env = _load(app, "compose.yaml", environ={"FROM_ENV": "inherited"}).project \
        .services["web"].environment
    assert dict(env) == {"A": "1", "EMPTY": "", "EQ": "a=b", "FROM_ENV": "inherited"}


def test_environment_mapping_form(app: Path) -> None:
    _write(app / "compose.yaml", """\
services:
  web:
    image: x
    environment:
      S: text
      N: 3
      F: 1.5
      T: true
      NO: false
      FROM_ENV:
      MISSING:
      EMPTY: ""
""")
    env = _load(app, "compose.yaml", environ={"FROM_ENV": "inherited"}).project \
        .services["web"].environment
    assert dict(env) == {
        "S": "text", "N": "3", "F": "1.5", "T": "true", "NO": "false",
        "FROM_ENV": "inherited", "EMPTY": "",
    }
    with pytest.raises(TypeError):
        env["X"] = "y"  # type: ignore[index]


def test_environment_value_from_environ_can_be_empty(app: Path) -> None:
    _write(app / "compose.yaml", "services:\n  web:\n    image: x\n    environment: [E]\n")
    env = _load(app, "compose.yaml", environ={"E": ""}).project.services["web"].environment
    assert dict(env) == {"E": ""}


def test_labels_without_value_are_empty_not_inherited(app: Path) -> None:
    _write(app / "compose.yaml",
           "services:\n  web:\n    image: x\n    labels: [a=1, bare, HOME]\n")
    labels = _load(app, "compose.yaml", environ={"HOME": "/root"}).project.services["web"].labels
    assert dict(labels) == {"a": "1", "bare": "", "HOME": ""}


def test_depends_on_short_and_long_form(app: Path) -> None:
    _write(app / "compose.yaml", """\
services:
  web:
    image: x
    depends_on: [db, cache]
  api:
    image: x
    depends_on:
      db:
        condition: service_healthy
        restart: true
      cache:
        condition: service_started
        required: false
  db:
    image: x
  cache:
    image: x
""")
    services = _load(app, "compose.yaml").project.services
    assert dict(services["web"].depends_on) == {"db": Dependency(), "cache": Dependency()}
    assert Dependency() == Dependency("service_started", True, False)
    assert dict(services["api"].depends_on) == {
        "db": Dependency(condition="service_healthy", required=True, restart=True),
        "cache": Dependency(condition="service_started", required=False, restart=False),
    }
    assert list(services["api"].depends_on) == ["cache", "db"]  # a Go map: printed sorted
    assert list(services) == ["api", "cache", "db", "web"]  # sorted, as config prints them


def test_undefined_dependency_long_form_points_at_its_key(app: Path) -> None:
    err = _error(app, """\
services:
  web:
    image: x
    depends_on:
      db:
        condition: service_started
      ghost:
        condition: service_started
  db:
    image: x
""")
    assert err.message == "service 'web' depends on undefined service 'ghost'"
    assert (err.location.line, err.location.column) == (7, 7)
    assert err.location.key == "services.web.depends_on.ghost"
    assert Path(err.location.file).resolve() == (app / "compose.yaml").resolve()


def test_undefined_dependency_short_form_points_at_depends_on(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    image: x\n    depends_on:\n      - ghost\n")
    assert err.message == "service 'web' depends on undefined service 'ghost'"
    # the list item has no key; the nearest located ancestor is `depends_on`
    assert err.location.line == 4
    assert err.location.key == "services.web.depends_on.ghost"


def test_dependency_cycle_names_the_cycle(app: Path) -> None:
    err = _error(app, """\
services:
  a:
    image: x
    depends_on: [b]
  b:
    image: x
    depends_on: [c]
  c:
    image: x
    depends_on: [a]
""")
    assert err.message == "dependency cycle between services: a -> b -> c -> a"
    assert err.location.line == 4
    assert err.location.key == "services.a.depends_on"


def test_self_dependency_is_a_cycle(app: Path) -> None:
    err = _error(app, "services:\n  a:\n    image: x\n    depends_on: [a]\n")
    assert err.message == "dependency cycle between services: a -> a"


def test_service_without_image(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    hostname: h\n")
    assert err.message == "service 'web' has neither an image nor a build context specified"
    assert err.location.line == 2
    assert err.location.key == "services.web"


def test_service_with_only_build(app: Path) -> None:
    # docker compose accepts it (``config`` prints it); the image is named after it
    _write(app / "compose.yaml", "services:\n  web:\n    build: .\n")
    loaded = _load(app, "compose.yaml")
    assert loaded.project.services["web"].image == "app-web"
    assert loaded.canonical["services"]["web"]["build"] == {
        "context": str(app.resolve()), "dockerfile": "Dockerfile"}
    assert not any("services.web.build" in w for w in loaded.warnings)  # built (issue 10)


def test_empty_service_definition(app: Path) -> None:
    err = _error(app, "services:\n  web:\n")
    assert err.message == "must be a mapping, found null"
    assert err.location.line == 2
    assert err.location.key == "services.web"


def test_list_command_items_must_be_strings(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    image: x\n    command: [sleep, 10]\n")
    assert err.message == "must be a string, found 10"
    assert err.location.key == "services.web.command[1]"


def test_no_services_is_not_an_error_for_config(app: Path) -> None:
    # docker compose config prints `services: {}`; `up` says "no service selected"
    _write(app / "compose.yaml", "services: {}\n")
    assert _load(app, "compose.yaml").canonical["services"] == {}
    _write(app / "compose.yaml", "name: x\n")
    assert _load(app, "compose.yaml").canonical["services"] == {}


def test_invalid_stop_grace_period(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    image: x\n    stop_grace_period: soon\n")
    assert err.location.line == 4
    assert err.location.key == "services.web.stop_grace_period"
    assert 'time: invalid duration "soon"' in err.message  # docker compose's words


def test_schema_errors_come_through(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    image: x\n    imagee: y\n")
    assert err.message == "additional property 'imagee' is not allowed"
    assert err.location.line == 4


def test_yaml_errors_come_through(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    image: [x\n")
    assert err.message.startswith("YAML syntax error")
    assert Path(err.location.file).resolve() == (app / "compose.yaml").resolve()


def test_not_utf8(app: Path) -> None:
    (app / "compose.yaml").write_bytes(b"services:\n  web:\n    image: \xff\xfe\n")
    with pytest.raises(ComposeFileError, match="not UTF-8 text"):
        _load(app, "compose.yaml")


# --- warnings ---------------------------------------------------------------------------


def test_unsupported_keys_are_warned_about(app: Path) -> None:
    _write(app / "compose.yaml", """\
services:
  web:
    image: x
    ports: ["80:80"]
    restart: always
    credential_spec: {file: spec.json}
    x-note: fine
networks:
  back: {}
volumes:
  data: {}
""")
    loaded = _load(app, "compose.yaml")
    assert loaded.warnings == (
        "services.web.credential_spec is not supported yet and is ignored",
    )  # the unused network and volume are dropped, as docker compose config drops them
    # only the default network exists
    assert list(loaded.project.networks) == [DEFAULT_NETWORK]


def test_supported_file_has_no_warnings(app: Path) -> None:
    _write(app / "compose.yaml", "x-top: 1\nnetworks: {}\n" + SIMPLE)
    assert _load(app, "compose.yaml").warnings == ()


def test_unset_variable_warns_once(app: Path) -> None:
    _write(app / "compose.yaml",
           "services:\n  web:\n    image: x$TAG\n    hostname: h$TAG\n")
    loaded = _load(app, "compose.yaml")
    assert loaded.project.services["web"].image == "x"
    assert loaded.warnings == ('The "TAG" variable is not set. Defaulting to a blank string.',)


# --- interpolation and .env --------------------------------------------------------------


def test_dotenv_values_are_used_and_environ_wins(app: Path) -> None:
    _write(app / ".env", "IMAGE=from-dotenv\nTAG=1.0\n# comment\n")
    _write(app / "compose.yaml", "services:\n  web:\n    image: ${IMAGE}:${TAG}\n")
    assert _load(app, "compose.yaml").project.services["web"].image == "from-dotenv:1.0"
    loaded = _load(app, "compose.yaml", environ={"TAG": "2.0"})
    assert loaded.project.services["web"].image == "from-dotenv:2.0"
    assert loaded.warnings == ()


def test_dotenv_feeds_environment_inheritance(app: Path) -> None:
    _write(app / ".env", "SECRET=s3cret\n")
    _write(app / "compose.yaml", "services:\n  web:\n    image: x\n    environment: [SECRET]\n")
    env = _load(app, "compose.yaml").project.services["web"].environment
    assert dict(env) == {"SECRET": "s3cret"}


def test_dotenv_is_read_from_the_project_directory(app: Path) -> None:
    _write(app / ".env", "IMAGE=wrong\n")
    _write(app / "sub" / ".env", "IMAGE=right\n")
    _write(app / "sub" / "compose.yaml", "services:\n  web:\n    image: $IMAGE\n")
    loaded = _load(app, "sub/compose.yaml")
    assert loaded.project.services["web"].image == "right"


def test_malformed_dotenv_is_an_error_at_its_line(app: Path) -> None:
    _write(app / ".env", "GOOD=1\nthis is not valid\n")
    _write(app / "compose.yaml", SIMPLE)
    with pytest.raises(ComposeFileError) as info:
        _load(app, "compose.yaml")
    assert info.value.location.line == 2
    assert info.value.location.file.endswith(".env")
    assert info.value.message == "line 2: key cannot contain a space"


def test_interpolation_error_is_located(app: Path) -> None:
    err = _error(app, "services:\n  web:\n    image: ${IMAGE:?IMAGE is required}\n")
    assert err.message == ("error while interpolating services.web.image: "
                           "required variable IMAGE is missing a value: IMAGE is required")
    assert (err.location.line, err.location.column) == (3, 5)


def test_interpolated_values_are_validated(app: Path) -> None:
    # interpolation runs before validation: the value is a string either way
    _write(app / "compose.yaml", "services:\n  web:\n    image: busybox\n    user: $UID\n")
    assert _load(app, "compose.yaml", environ={"UID": "1000"}).project \
        .services["web"].user == "1000"


# --- several files ----------------------------------------------------------------------


def test_later_files_override_earlier_ones(app: Path) -> None:
    _write(app / "compose.yaml", """\
name: base
services:
  web:
    image: nginx
    command: [nginx, -g, daemon off;]
    environment:
      A: "1"
      B: "2"
    depends_on: [db]
  db:
    image: postgres
""")
    _write(app / "override.yaml", """\
name: over
services:
  web:
    image: nginx:alpine
    command: [nginx]
    environment:
      B: "20"
      C: "30"
  worker:
    image: busybox
""")
    project = _load(app, "compose.yaml", "override.yaml").project
    assert project.name == "over"
    assert project.config_files == (str((app / "compose.yaml").resolve()),
                                    str((app / "override.yaml").resolve()))
    web = project.services["web"]
    assert web.image == "nginx:alpine"
    assert web.command == ("nginx",)
    assert dict(web.environment) == {"A": "1", "B": "20", "C": "30"}
    assert list(web.depends_on) == ["db"]
    assert list(project.services) == ["db", "web", "worker"]


def test_error_in_override_is_located_in_that_file(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    _write(app / "override.yaml", "services:\n  web:\n    depends_on:\n      ghost: {}\n")
    with pytest.raises(ComposeFileError) as info:
        _load(app, "compose.yaml", "override.yaml")
    assert Path(info.value.location.file).resolve() == (app / "override.yaml").resolve()
    assert info.value.location.line == 4


def test_each_file_is_validated(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    _write(app / "override.yaml", "services:\n  web:\n    bogus: 1\n")
    with pytest.raises(ComposeFileError) as info:
        _load(app, "compose.yaml", "override.yaml")
    assert Path(info.value.location.file).resolve() == (app / "override.yaml").resolve()
    assert info.value.message == "additional property 'bogus' is not allowed"


def test_project_value_is_immutable(app: Path) -> None:
    _write(app / "compose.yaml", SIMPLE)
    project = _load(app, "compose.yaml").project
    with pytest.raises(TypeError):
        project.services["new"] = project.services["web"]  # type: ignore[index]
    narrowed = project.with_selected_services(["web"])
    assert list(narrowed.services) == ["web"]
    assert project.service("web").image == "busybox"


def test_keys_the_engine_acts_on_are_not_warned_about(app: Path) -> None:
    """profiles (service selection), scale and deploy.replicas (replicas),
    deploy.update_config (rolling updates), attach (attached up), post_start and
    pre_stop (hooks), develop (watch); rollback_config is Swarm's and is warned about."""
    _write(app / "compose.yaml", """\
services:
  web:
    image: x
    profiles: [p]
    scale: 2
    attach: false
    develop: {watch: [{path: ./src, action: sync, target: /src}]}
    deploy: {replicas: 2, update_config: {parallelism: 1, order: start-first},
             restart_policy: {condition: any}, resources: {limits: {memory: 64m}}}
  job:
    image: y
    deploy: {rollback_config: {parallelism: 1}}
    post_start: [{command: ["true"]}]
""")
    loaded = load_project(LoadOptions(cwd=str(app), environ={}, profiles=("p",)))
    assert loaded.warnings == (
        "services.job.deploy.rollback_config only applies to Swarm and is ignored",
    )


def test_hooks_are_typed_in_order_with_their_options(app: Path) -> None:
    """Each hook's command (shell words or a list), user, privileged, working_dir and
    environment (map or list; a bare key left out: compose-go never resolves it)."""
    _write(app / "compose.yaml", """\
services:
  web:
    image: x
    post_start:
      - command: echo "one two"
        user: "1000:1000"
        privileged: true
        working_dir: /tmp
        environment: {A: "1", B: null}
      - command: [sh, -c, "exit 0"]
        environment: [X=2, Y]
    pre_stop:
      - command: ["true"]
""")
    loaded = load_project(LoadOptions(cwd=str(app), environ={"Y": "host", "B": "host"}))
    assert loaded.warnings == ()
    web = loaded.project.service("web")
    first, second = web.post_start
    assert first == Hook(("echo", "one two"), user="1000:1000", privileged=True,
                         working_dir="/tmp", environment=frozen_map({"A": "1"}))
    assert second.command == ("sh", "-c", "exit 0")
    assert dict(second.environment) == {"X": "2"}
    assert (second.user, second.privileged, second.working_dir) == (None, False, None)
    assert web.pre_stop == (Hook(("true",)),)


def test_a_service_without_hooks_has_none(app: Path) -> None:
    _write(app / "compose.yaml", "services:\n  web: {image: x}\n")
    web = load_project(LoadOptions(cwd=str(app), environ={})).project.service("web")
    assert (web.post_start, web.pre_stop) == ((), ())
