"""A service's container environment as docker compose resolves it.

``env_file`` entries are read in order (later files win), then ``environment``
overrides them.  A bare ``KEY`` in ``environment`` takes its value from the
project environment (shell + ``.env``) and stays ``null`` when that has none;
a bare ``KEY`` in an env file is taken from there too, or dropped.  Values in
env files are interpolated from the project environment first, then from the
keys read before them.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from compose.spec.golang import values as govalues
from compose.spec.golang.structs import go_map, pairs
from compose.spec.load import reads
from compose.spec.syntax.dotenv import DotenvError, parse_dotenv


class EnvFileError(ValueError):
    """An env file that is required but missing, or that cannot be parsed."""


def resolve_environment(value: Any, environ: Mapping[str, str]) -> dict[str, str | None]:
    """``environment`` (list or mapping) as a sorted mapping, bare keys resolved."""
    result: dict[str, str | None] = {}
    for key, item in pairs(value):
        result[key] = environ.get(key) if item is None else govalues.to_str(item)
    return go_map(result.items())


def env_file_entries(value: Any) -> list[dict[str, Any]]:
    """``env_file`` as ``{path, required, format?}`` entries."""
    entries = value if isinstance(value, list) else [value]
    result = []
    for entry in entries:
        if isinstance(entry, Mapping):
            item = {"path": str(entry["path"]),
                    "required": govalues.to_bool(entry.get("required", True))}
            if entry.get("format"):
                item["format"] = str(entry["format"])
            result.append(item)
        else:
            result.append({"path": str(entry), "required": True})
    return result


def read_env_files(entries: list[dict[str, Any]], working_dir: str,
                   environ: Mapping[str, str], *, kind: str = "env",
                   read: Callable[[str], str] | None = None) -> dict[str, str]:
    """The variables the env (or ``kind="label"``) files define, later files
    overriding earlier ones."""
    reader = read or (lambda p: Path(p).read_text(encoding="utf-8"))
    values: dict[str, str] = {}
    for entry in entries:
        file = posixpath.normpath(posixpath.join(working_dir, entry["path"]))
        reads.note(file)
        try:
            text = reader(file)
        except FileNotFoundError:
            if entry["required"]:
                raise EnvFileError(f"{kind} file {file} not found: stat {file}: "
                                   "no such file or directory") from None
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise EnvFileError(f"failed to read {file}: {exc}") from None
        if entry.get("format") == "raw":
            values.update(_raw_lines(text, environ))
            continue
        try:
            values.update(parse_dotenv(text, environ, values))
        except DotenvError as exc:
            raise EnvFileError(f"failed to read {file}: {exc}") from None
    return values


def _raw_lines(text: str, environ: Mapping[str, str]) -> dict[str, str]:
    """``format: raw``: every ``KEY=VALUE`` line taken literally."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value
        elif key.strip() in environ:
            values[key.strip()] = environ[key.strip()]
    return values


def service_environment(service: Mapping[str, Any], working_dir: str,
                        environ: Mapping[str, str]) -> dict[str, str | None]:
    """``env_file`` folded under ``environment``, as ``config`` prints it."""
    result: dict[str, str | None] = {}
    if service.get("env_file") is not None:
        files = read_env_files(env_file_entries(service["env_file"]), working_dir, environ)
        result.update(files)
    if service.get("environment") is not None:
        result.update(resolve_environment(service["environment"], environ))
    return go_map(result.items())


def service_labels(service: Mapping[str, Any], working_dir: str,
                   environ: Mapping[str, str]) -> dict[str, str]:
    """``label_file`` entries folded under ``labels`` (``labels`` wins)."""
    result: dict[str, str] = {}
    if service.get("label_file") is not None:
        entries = [{"path": p, "required": True} for p in
                   (service["label_file"] if isinstance(service["label_file"], list)
                    else [service["label_file"]])]
        result.update(read_env_files(entries, working_dir, environ, kind="label"))
    for key, value in pairs(service.get("labels") or {}, bare=""):
        result[key] = "" if value is None else govalues.to_str(value)
    return go_map(result.items())
