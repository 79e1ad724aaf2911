"""The load cache: a project's name and services from the last full load, used
only while every file read and the environment are as they were then."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from compose.spec import loadcache
from compose.spec.loader import LoadOptions, load_project


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
    loadcache.put(cache, entry, summary, loaded.inputs)
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
    monkeypatch.setattr(loadcache, "KEEP", 3)
    cache = tmp_path / "cache"
    for n in range(5):
        remember(project, cache, NAME=f"p{n}")
    assert len(list(cache.iterdir())) == 3
    assert cached(project, cache, NAME="p4") == loadcache.Summary("p4", ("db", "queue", "web"))
