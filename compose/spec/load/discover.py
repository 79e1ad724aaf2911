"""Where a project's Compose files are and what its interpolation sees: the first
phase of loading, apart from the rest so that a command can check the load cache
(``compose/spec/loadcache.py``) without importing the parser and the schema."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import UsageError
from compose.spec.load import projectenv

DEFAULT_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
# compose-go's DefaultFileNames and DefaultOverrideFileNames, in order of preference.
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml",
                  "docker-compose.override.yml", "docker-compose.override.yaml")


@dataclass(frozen=True)
class LoadOptions:
    """What the command line and the environment say about where the project is."""

    files: tuple[str, ...] = ()
    project_name: str | None = None
    project_directory: str | None = None
    env_files: tuple[str, ...] = ()
    interpolate: bool = True
    consistency: bool = True
    # `config --no-path-resolution`: relative paths are printed as written (those of
    # included and extended files relative to the project directory)
    resolve_paths: bool = True
    # --profile (else COMPOSE_PROFILES); services named on the command line enable
    # their own profiles, as docker compose's WithServicesEnabled does.
    profiles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)


def find_files(options: LoadOptions) -> list[str]:
    """``-f`` files, else ``COMPOSE_FILE`` (the process environment or the first
    ``.env``), else the first default name found in the project directory or one of
    its parents, with its override file if present."""
    given = list(options.files) or projectenv.compose_file_variable(first_environment(options))
    if given:
        resolved = []
        for name in given:
            path = Path(absolute(options.cwd, name))
            if not path.is_file():
                raise UsageError(f"{name}: no such file")
            resolved.append(str(path))
        return resolved
    directory = Path(absolute(options.cwd, options.project_directory or "."))
    for candidate_dir in (directory, *directory.parents):
        for name in DEFAULT_FILES:
            path = candidate_dir / name
            if path.is_file():
                found = [str(path)]
                for override in OVERRIDE_FILES:
                    if (candidate_dir / override).is_file():
                        found.append(str(candidate_dir / override))
                        break
                return found
    raise UsageError(
        f"no configuration file provided: none of {', '.join(DEFAULT_FILES)} "
        f"found in {directory} or its parents"
    )


def first_environment(options: LoadOptions) -> dict[str, str]:
    """The process environment plus the env files docker compose reads before it
    knows the Compose files: ``--env-file``/``COMPOSE_ENV_FILES``, else the ``.env``
    of ``--project-directory``, of the first ``-f`` file's folder, or of the cwd."""
    explicit = projectenv.explicit_env_files(options.env_files, options.environ, options.cwd)
    if explicit:
        return projectenv.with_env_files(options.environ, explicit)
    first = options.project_directory or (os.path.dirname(options.files[0]) if options.files
                                          else ".")
    directory = str(Path(options.cwd, first))
    return projectenv.with_env_files(
        options.environ, projectenv.default_env_file(directory, options.environ))


def project_environment(options: LoadOptions, working_dir: str) -> dict[str, str]:
    """What interpolation sees: the first environment, then the project directory's
    ``.env`` for keys still unset (unless env files were given explicitly)."""
    environ = first_environment(options)
    if projectenv.explicit_env_files(options.env_files, options.environ, options.cwd):
        return environ
    return projectenv.with_env_files(
        environ, projectenv.default_env_file(working_dir, options.environ))


def absolute(base: str, path: str) -> str:
    """Go's ``filepath.Abs``: joined and cleaned lexically, so a folder reached
    through a symlink keeps the path it was given (as docker compose prints it)."""
    return posixpath.normpath(posixpath.join(base, path))
