"""Consistency checks: references to undeclared resources, duplicate names."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.errors import ComposeFileError
from compose.spec.loader import LoadOptions, load_project


def load(tmp_path: Path, text: str, *, consistency: bool = True) -> object:
    (tmp_path / "compose.yaml").write_text(text)
    return load_project(LoadOptions(cwd=str(tmp_path), environ={}, project_name="p",
                                    consistency=consistency))


@pytest.mark.parametrize(("snippet", "message", "line"), [
    ("networks: [nope]", "refers to undefined network 'nope'", 4),
    ("volumes: ['nope:/data']", "refers to undefined volume 'nope'", 4),
    ("secrets: [nope]", "refers to undefined secret 'nope'", 4),
    ("configs: [nope]", "refers to undefined config 'nope'", 4),
    ("depends_on: [nope]", "depends on undefined service 'nope'", 4),
])
def test_undefined_references(tmp_path: Path, snippet: str, message: str, line: int) -> None:
    with pytest.raises(ComposeFileError) as caught:
        load(tmp_path, f"services:\n  web:\n    image: busybox\n    {snippet}\n")
    assert message in caught.value.message
    assert caught.value.location.line == line
    load(tmp_path, f"services:\n  web:\n    image: busybox\n    {snippet}\n", consistency=False)


def test_declared_references_are_fine(tmp_path: Path) -> None:
    load(tmp_path, "services:\n  web:\n    image: busybox\n    networks: [back]\n"
                   "    volumes: ['data:/data']\n    secrets: [s]\n"
                   "networks: {back: {}}\nvolumes: {data: {}}\nsecrets: {s: {file: ./s}}\n")


def test_duplicate_container_names(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError, match="container name 'same' is already in use"):
        load(tmp_path, "services:\n  a:\n    image: x\n    container_name: same\n"
                       "  b:\n    image: x\n    container_name: same\n")


def test_missing_image(tmp_path: Path) -> None:
    with pytest.raises(ComposeFileError, match="neither an image nor a build context"):
        load(tmp_path, "services:\n  a:\n    hostname: h\n")
    load(tmp_path, "services:\n  a:\n    hostname: h\n", consistency=False)
