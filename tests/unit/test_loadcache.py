"""The load cache: a project's name and services from the last full load, used
only while every file read and the environment are as they were then."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from compose.spec import loadcache
from compose.spec.load import reads
from compose.spec.loaded import Loaded
from compose.spec.loader import LoadOptions, load_project

REPO = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "proj"
    write(directory / "compose.yaml", """
        name: ${NAME:-shop}
        include: [more/compose.yaml]
        services:
          web:
            extends: {file: base.yaml, service: base}
          db:
            image: busybox
    """)
    write(directory / "more" / "compose.yaml", """
        services:
          queue:
            image: busybox
    """)
    write(directory / "base.yaml", """
        services:
          base:
            image: busybox
    """)
    return directory


def options(directory: Path, **environ: str) -> LoadOptions:
    return LoadOptions(cwd=str(directory), environ=environ)


def remember(directory: Path, cache: Path, **environ: str) -> loadcache.Summary:
    """A full load, kept as a project verb keeps it."""
    given = options(directory, **environ)
    loaded = load_project(given)
    summary = loadcache.Summary(loaded.project.name, tuple(loaded.project.services),
                                loaded.warnings)
    entry = loadcache.key(given)
    assert entry is not None
    loadcache.put(cache, entry, summary, loaded.inputs, loaded.variables)
    return summary


def cached(directory: Path, cache: Path, **environ: str) -> loadcache.Summary | None:
    entry = loadcache.key(options(directory, **environ))
    return None if entry is None else loadcache.get(cache, entry)


def test_a_second_look_finds_what_the_load_found(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert cached(project, cache) is None
    summary = remember(project, cache)
    assert summary == loadcache.Summary("shop", ("db", "queue", "web"))
    assert cached(project, cache) == summary


@pytest.mark.parametrize("change", ["compose file", "extended file", "included file",
                                    "override file",
                                    "variable", ".env file", "other directory"])
def test_any_change_of_what_the_load_read_is_a_miss(project: Path, tmp_path: Path,
                                                    change: str) -> None:
    cache = tmp_path / "cache"
    remember(project, cache)
    environ: dict[str, str] = {}
    look = project
    if change == "compose file":
        with (project / "compose.yaml").open("a") as file:
            file.write("  cache:\n    image: busybox\n")
    elif change == "extended file":
        with (project / "base.yaml").open("a") as file:
            file.write("    command: [x]\n")
    elif change == "included file":
        with (project / "more" / "compose.yaml").open("a") as file:
            file.write("  worker:\n    image: busybox\n")
    elif change == "override file":
        write(project / "compose.override.yaml", "services: {db: {command: [x]}}\n")
    elif change == "variable":
        environ = {"NAME": "other"}
    elif change == ".env file":
        write(project / ".env", "NAME=other\n")
    else:
        look = write(tmp_path / "elsewhere" / "compose.yaml", "services: {a: {image: x}}\n"
                     ).parent
    assert cached(look, cache, **environ) is None


def test_variables_the_load_never_looked_up_may_change(project: Path, tmp_path: Path) -> None:
    """A new terminal has another OLDPWD, SSH_CONNECTION, TERM...: the same entry."""
    cache = tmp_path / "cache"
    summary = remember(project, cache, OLDPWD="/a", SSH_CONNECTION="10.0.0.1 5000")
    assert cached(project, cache, OLDPWD="/b", SSH_CONNECTION="10.0.0.1 5001") == summary
    assert cached(project, cache, OLDPWD="/b", NAME="other") is None  # looked up


@pytest.mark.parametrize("text,environ", [
    ("services: {web: {image: 'busybox:${TAG:-1}'}}\n", {"TAG": "2"}),
    ("services: {web: {image: busybox, environment: [TAG]}}\n", {"TAG": "2"}),
    ("services: {web: {image: busybox, profiles: [x]}, db: {image: busybox}}\n",
     {"COMPOSE_PROFILES": "x"}),
    ("services: {web: {image: busybox, env_file: web.env}}\n", {"TAG": "2"}),
])
def test_a_variable_looked_up_unset_then_set_is_a_miss(tmp_path: Path, text: str,
                                                       environ: dict[str, str]) -> None:
    """Looked up while unset, as a default's, a bare key's, the profiles', or an
    env file's interpolation: setting it is a change."""
    project = tmp_path / "proj"
    write(project / "compose.yaml", text)
    write(project / "web.env", "COLOUR=${TAG:-red}\n")
    cache = tmp_path / "cache"
    remember(project, cache, UNRELATED="1")
    assert cached(project, cache, UNRELATED="2") is not None
    assert cached(project, cache, **environ) is None


def test_a_load_names_the_variables_it_looked_up(project: Path) -> None:
    loaded = load_project(options(project, NAME="n", OLDPWD="/x"))
    assert loaded.variables is not None
    assert "NAME" in loaded.variables and "OLDPWD" not in loaded.variables


def test_going_through_the_environment_makes_every_variable_a_dependency() -> None:
    with reads.recording() as noted:
        environ = reads.Watched({"A": "1", "B": "2"}).plus({"C": "3"})
        assert environ.get("A") == "1" and "Z" not in environ and environ["C"] == "3"
        assert noted.variables == {"A", "Z", "C"} and not noted.every_variable
        assert dict(environ) == {"A": "1", "B": "2", "C": "3"}
        assert noted.every_variable


def test_layers_are_looked_up_in_order_and_note_only_what_is_looked_up() -> None:
    with reads.recording() as noted:
        environ = reads.Layered(reads.Watched({"A": "1"}), {"A": "2", "B": "3"})
        assert environ["A"] == "1" and environ.get("B") == "3" and "C" not in environ
        assert bool(environ) and noted.variables == {"A", "B", "C"}
        assert not noted.every_variable
        assert sorted(environ.items()) == [("A", "1"), ("B", "3")]
        assert noted.every_variable


def test_an_entry_of_a_load_that_went_through_everything_misses_on_any_change(
        project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    given = options(project, OLDPWD="/a")
    loaded = load_project(given)
    entry = loadcache.key(given)
    assert entry is not None
    summary = loadcache.Summary(loaded.project.name, tuple(loaded.project.services))
    loadcache.put(cache, entry, summary, loaded.inputs, None)
    assert cached(project, cache, OLDPWD="/a") == summary
    assert cached(project, cache, OLDPWD="/b") is None


def test_an_unreadable_entry_is_a_miss(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    remember(project, cache)
    (entry,) = cache.iterdir()
    entry.write_text("{not json")
    assert cached(project, cache) is None


def test_no_compose_file_is_no_entry(tmp_path: Path) -> None:
    assert loadcache.key(options(tmp_path)) is None  # the full load says what is wrong


def test_only_the_newest_entries_are_kept(project: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loadcache, "KEEP", 2)  # entries of two files (a summary, a load)
    cache = tmp_path / "cache"
    for n in range(5):  # where the files are: five entries
        remember(project, cache, COMPOSE_PATH_SEPARATOR=f"{n}", NAME=f"p{n}")
    assert len(list(cache.iterdir())) == 4
    assert cached(project, cache, COMPOSE_PATH_SEPARATOR="4", NAME="p4") == loadcache.Summary(
        "p4", ("db", "queue", "web"))


def test_a_load_with_other_values_takes_the_entry_s_place(project: Path,
                                                          tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    remember(project, cache, NAME="p1")
    summary = remember(project, cache, NAME="p2")
    assert len(list(cache.iterdir())) == 1
    assert cached(project, cache, NAME="p2") == summary
    assert cached(project, cache, NAME="p1") is None


def keep_load(directory: Path, cache: Path, **environ: str) -> Loaded:
    given = options(directory, **environ)
    loaded = load_project(given)
    entry = loadcache.key(given)
    assert entry is not None
    loadcache.put_loaded(cache, entry, loaded)
    return loaded


def kept(directory: Path, cache: Path, **environ: str) -> Loaded | None:
    entry = loadcache.key(options(directory, **environ))
    return None if entry is None else loadcache.get_loaded(cache, entry)


@pytest.fixture
def with_env_files(project: Path) -> Path:
    write(project / "web.env", "COLOUR=blue\n")
    with (project / "compose.yaml").open("a") as file:
        file.write("""
  env:
    image: busybox
    env_file:
      - web.env
      - {path: optional.env, required: false}
    label_file: labels.env
""")
    write(project / "labels.env", "team=a\n")
    return project


def test_a_kept_load_is_the_load_itself(with_env_files: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert kept(with_env_files, cache) is None
    loaded = keep_load(with_env_files, cache)
    again = kept(with_env_files, cache)
    assert again == loaded
    assert again is not None and again.project.services["env"].environment["COLOUR"] == "blue"


@pytest.mark.parametrize("change", ["env file", "optional env file appears", "label file",
                                    "compose file", "included project's .env appears"])
def test_a_kept_load_is_not_used_once_a_file_it_depended_on_changed(
        with_env_files: Path, tmp_path: Path, change: str) -> None:
    cache = tmp_path / "cache"
    keep_load(with_env_files, cache)
    name = {"env file": "web.env", "optional env file appears": "optional.env",
            "label file": "labels.env", "compose file": "base.yaml",
            "included project's .env appears": "more/.env"}[change]
    with (with_env_files / name).open("a") as file:
        file.write("\n# changed\n")  # a comment: the same project, another file
    assert kept(with_env_files, cache) is None
    keep_load(with_env_files, cache)
    assert kept(with_env_files, cache) is not None


def test_a_kept_load_of_other_code_is_not_used(project: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    code = tmp_path / "code"
    write(code / "model.py", "X = 1\n")
    monkeypatch.setattr(loadcache, "CODE", (code,))
    monkeypatch.setattr(loadcache, "_code", functools.cache(loadcache._code.__wrapped__))
    cache = tmp_path / "cache"
    keep_load(project, cache)
    assert kept(project, cache) is not None
    write(code / "model.py", "X = 22\n")  # the loader changed since
    assert kept(project, cache) is not None  # to this process: its code is as it was
    loadcache._code.cache_clear()  # a process of the new code
    assert kept(project, cache) is None


def test_a_fork_server_s_children_find_the_code_s_version_known() -> None:
    """Computed once, ahead (the server goes away when its code changes): each
    command stat-ed the loader's hundred files before reading a kept load."""
    loadcache.warm()
    assert loadcache._code.cache_info().currsize == 1


def test_a_torn_kept_load_is_a_miss(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    keep_load(project, cache)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:-20])
    assert kept(project, cache) is None


def test_a_kept_load_is_read_without_the_loader(project: Path, tmp_path: Path) -> None:
    """What the cache saves: yaml, the schema and the loading phases stay unimported."""
    cache = tmp_path / "cache"
    keep_load(project, cache)
    script = textwrap.dedent(f"""
        import sys
        from compose.spec import loadcache
        from compose.spec.load.discover import LoadOptions
        from pathlib import Path
        entry = loadcache.key(LoadOptions(cwd={str(project)!r}, environ={{}}))
        loaded = loadcache.get_loaded(Path({str(cache)!r}), entry)
        assert loaded is not None and sorted(loaded.project.services) == ["db", "queue", "web"]
        print(sorted({{"yaml", "jsonschema_rs", "compose.spec.loader",
                      "compose.spec.golang.structs", "compose.spec.load.canonical"}}
                     & set(sys.modules)))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"
