"""The project's interpolation environment and name, in docker compose's order.

docker compose reads env files twice: once from the directory it knows before
looking for Compose files (``--project-directory``, the first ``-f`` file's folder,
or the working directory) so that ``.env`` may set ``COMPOSE_FILE``, and again
from the project directory once the files are known.  Values already set win:
the process environment over the first ``.env``, that over the second one.
Inside env files, ``${VAR}`` sees that same environment first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from common.errors import ComposeFileError, Location, UsageError
from compose.spec import names
from compose.spec.load.interpolate import go_quote
from compose.spec.syntax.dotenv import DotenvError, parse_dotenv

_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


def explicit_env_files(env_files: Sequence[str], environ: Mapping[str, str],
                       cwd: str) -> list[Path]:
    """``--env-file`` files, else ``COMPOSE_ENV_FILES`` (comma-separated), from ``cwd``."""
    given = list(env_files)
    if not given and environ.get("COMPOSE_ENV_FILES"):
        given = environ["COMPOSE_ENV_FILES"].split(",")
    return [Path(cwd, name) for name in given]


def default_env_file(directory: str, environ: Mapping[str, str]) -> list[Path]:
    """``<directory>/.env`` if it is a file and ``COMPOSE_DISABLE_ENV_FILE`` is not true."""
    disabled = environ.get("COMPOSE_DISABLE_ENV_FILE")
    if disabled is not None:
        if disabled not in _TRUE | _FALSE:
            raise UsageError(f"strconv.ParseBool: parsing {go_quote(disabled)}: invalid syntax")
        if disabled in _TRUE:
            return []
    path = Path(directory, ".env")
    return [path] if path.is_file() else []


def read_env_files(paths: Sequence[Path], environ: Mapping[str, str]) -> dict[str, str]:
    """compose-go's ``GetEnvFromFile``: later files win; every file must exist."""
    values: dict[str, str] = {}
    for path in paths:
        path = Path(os.path.abspath(path))
        if not path.exists():
            raise UsageError(f"couldn't find env file: {path}")
        if path.is_dir():
            raise UsageError(f"{path} is a directory")
        values.update(read_env_file(path, environ, values))
    return values


def read_env_file(path: Path, environ: Mapping[str, str],
                  defaults: Mapping[str, str] | None = None) -> dict[str, str]:
    """One env file; a malformed one is an error at its line, in docker's words."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ComposeFileError(Location(str(path)), f"failed to read {path}: {exc}") from None
    try:
        return parse_dotenv(text, environ, defaults)
    except DotenvError as exc:
        raise ComposeFileError(Location(str(path), exc.line), str(exc)) from None


def with_env_files(environ: Mapping[str, str], paths: Sequence[Path]) -> dict[str, str]:
    """``environ`` plus the files' keys it does not already have."""
    merged = dict(environ)
    for key, value in read_env_files(paths, environ).items():
        merged.setdefault(key, value)
    return merged


def compose_file_variable(environ: Mapping[str, str]) -> list[str]:
    """``COMPOSE_FILE`` split on ``COMPOSE_PATH_SEPARATOR`` (default ``os.pathsep``)."""
    if "COMPOSE_FILE" not in environ:
        return []
    separator = environ.get("COMPOSE_PATH_SEPARATOR") or os.pathsep
    return environ["COMPOSE_FILE"].split(separator)


def checked_project_name(name: str) -> str:
    """A name given with ``-p`` or ``COMPOSE_PROJECT_NAME`` must already be normal."""
    if names.normalize_project_name(name) != name:
        raise UsageError(
            f"invalid project name {go_quote(name)}: must consist only of lowercase "
            "alphanumeric characters, hyphens, and underscores as well as start with a "
            "letter or number")
    return name
