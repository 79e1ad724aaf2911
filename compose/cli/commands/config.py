"""``pycompose config``: the project as pycompose understands it, canonical form."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from common.statefiles import write_atomic
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.spec import variables
from compose.spec.load import profiles
from compose.spec.loader import LoadOptions, load_project, load_raw


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
    from compose.spec.golang.render import render  # yaml and json writers: only to print

    return render(model, options.fmt, escape=load.interpolate), warnings


def _lines(items: dict[str, Any]) -> str:
    return "".join(f"{name}\n" for name in items)


def write_output(text: str, path: str) -> None:
    write_atomic(Path(path), text.encode())


def register(verbs: Verbs) -> None:
    config = verbs.add_parser("config", help="print the project in canonical form")
    config.add_argument("--format", choices=["yaml", "json"],
                        help="yaml (default) or json; --variables defaults to a table")
    config.add_argument("-q", "--quiet", action="store_true", help="only validate")
    config.add_argument("--services", action="store_true", help="print the service names")
    config.add_argument("--volumes", action="store_true", help="print the volume names")
    config.add_argument("--networks", action="store_true", help="print the network names")
    config.add_argument("--images", action="store_true", help="print the image names")
    config.add_argument("--profiles", action="store_true", help="print the profile names")
    config.add_argument("--variables", action="store_true",
                        help="print the variables the model uses, with their defaults")
    config.add_argument("--no-interpolate", action="store_true",
                        help="do not interpolate variables")
    config.add_argument("--no-normalize", action="store_true",
                        help="print the merged files without canonical form")
    config.add_argument("--no-consistency", action="store_true",
                        help="accepted for compatibility")
    config.add_argument("--no-path-resolution", action="store_true",
                        help="keep relative paths as they are written")
    config.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    config.add_argument("config_services", nargs="*", metavar="SERVICE")

    config.set_defaults(prepare=prepare, named_services="config_services")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    options = ConfigOptions(
        fmt=args.format or ("table" if args.variables else "yaml"), quiet=args.quiet,
        services=args.services, volumes=args.volumes, networks=args.networks,
        images=args.images, normalize=not args.no_normalize, output=args.output,
        profiles=args.profiles, variables=args.variables,
    )
    text, warnings = config_text(
        inv.load_options(interpolate=not args.no_interpolate), options)
    for warning in warnings:
        inv.output.warn(warning)
    if args.output:
        write_output(text, os.path.join(inv.cwd, args.output))
    elif text:
        inv.output.raw(text)
    return 0


