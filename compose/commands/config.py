"""``pycompose config``: the project as pycompose understands it, canonical form."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from compose import profiles, variables
from compose.loader import LoadOptions, load_project, load_raw
from compose.render import render
from compose.statefiles import write_atomic


@dataclass(frozen=True)
class ConfigOptions:
    fmt: str = "yaml"
    quiet: bool = False
    services: bool = False
    volumes: bool = False
    networks: bool = False
    images: bool = False
    normalize: bool = True
    output: str | None = None
    profiles: bool = False
    variables: bool = False


def config_text(load: LoadOptions, options: ConfigOptions) -> tuple[str, tuple[str, ...]]:
    """What ``config`` prints, and the loader's warnings."""
    if options.variables:  # docker reads them from the model before interpolation
        raw = load_raw(replace(load, interpolate=False, profiles=("*",)))
        return variables.render(variables.extract(raw.data), options.fmt), ()
    if options.profiles:  # the project must load, then every service's profiles count
        warnings = load_project(load).warnings
        everything = load_raw(replace(load, profiles=("*",))).data
        return _lines(dict.fromkeys(profiles.all_profiles(everything))), warnings
    if options.normalize:
        loaded = load_project(load)
        model: dict[str, Any] = loaded.canonical
        warnings = loaded.warnings
    else:
        raw = load_raw(load)
        model = {"name": raw.name, **raw.data}
        warnings = raw.warnings
    if options.quiet:
        return "", warnings
    if options.services:
        return _lines(model.get("services", {})), warnings
    if options.volumes:
        return _lines(model.get("volumes", {})), warnings
    if options.networks:
        return _lines(model.get("networks", {})), warnings
    if options.images:
        images = [s.get("image") or f"{model['name']}-{name}"
                  for name, s in sorted(model.get("services", {}).items())]
        return "".join(f"{i}\n" for i in images), warnings
    return render(model, options.fmt, escape=load.interpolate), warnings


def _lines(items: dict[str, Any]) -> str:
    return "".join(f"{name}\n" for name in items)


def write_output(text: str, path: str) -> None:
    write_atomic(Path(path), text.encode())
