"""``pycompose convert``: the project as Kubernetes manifests (see docs/convert.md)."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from common.errors import UsageError
from common.statefiles import write_atomic
from compose.cli.invocation import Invocation, Prepared, Verbs
from compose.convert.base import MANAGED_BY, PART_OF, SERVICE_TYPES, ConvertOptions, Host
from compose.convert.core import Conversion, convert
from compose.convert.output import files, stream
from compose.spec import graph
from compose.spec.loader import LoadOptions, load_project, load_raw


class LocalHost:
    """The machine the Compose files are on: bind sources, secret and config files."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def kind(self, path: str) -> str | None:
        if os.path.isdir(path):
            return "dir"
        return "file" if os.path.isfile(path) else None

    def read(self, path: str) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(f"{path}: {exc.strerror or exc}") from None

    def variable(self, name: str) -> str | None:
        return self.environ.get(name)


def explicit_environment(raw_services: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """Per service, the variables its own ``environment`` sets (not its env files)."""
    result: dict[str, frozenset[str]] = {}
    for name, service in raw_services.items():
        if not isinstance(service, Mapping):
            continue
        value = service.get("environment") or {}
        if isinstance(value, Mapping):
            result[name] = frozenset(str(k) for k in value)
        else:
            result[name] = frozenset(str(entry).split("=", 1)[0] for entry in value)
    return result


def convert_project(load: LoadOptions, options: ConvertOptions,
                    host: Host | None = None) -> tuple[Conversion, tuple[str, ...]]:
    """The project's manifests and warnings (the loader's first); files are read from
    this machine unless another ``host`` is given."""
    raw = load_raw(load)
    loaded = load_project(load)
    options = ConvertOptions(**{**options.__dict__, "explicit_env":
                                explicit_environment(raw.data.get("services") or {})})
    every = loaded.canonical.get("services") or {}
    unknown = sorted(set(options.scale) - set(every))
    if unknown:
        raise UsageError(f"--scale: no such service: {', '.join(unknown)}")
    canonical = loaded.canonical
    if load.services:
        missing = sorted(set(load.services) - set(every))
        if missing:
            raise UsageError(f"no such service: {', '.join(missing)}")
        kept = graph.with_dependencies(graph.dependencies(loaded.project), load.services)
        canonical = {**canonical, "services": {n: every[n] for n in every if n in kept}}
    return convert(canonical, options, host or LocalHost(raw.environ)), raw.warnings


_GENERATED = re.compile(r"\d\d-[a-z]+-[a-z0-9.-]+\.(yaml|json)")


def stale_files(directory: Path, written: set[str], project: str | None) -> list[Path]:
    """Files an earlier ``convert`` of the same project wrote into ``directory`` that
    this one did not: objects the project no longer has (``kubectl apply -f`` would
    bring them back).  Anything else in the directory is left alone."""
    stale = []
    for path in sorted(directory.iterdir()):
        if path.name in written or not _GENERATED.fullmatch(path.name) or not path.is_file():
            continue
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        labels = ((document or {}).get("metadata") or {}).get("labels") or {} \
            if isinstance(document, dict) else {}
        if labels.get(MANAGED_BY) == "pycompose" and labels.get(PART_OF) == project:
            stale.append(path)
    return stale


def _service_type(text: str) -> str:
    for known in SERVICE_TYPES:
        if text.lower() == known.lower():
            return known
    raise argparse.ArgumentTypeError(f"expected one of {', '.join(SERVICE_TYPES)}, got {text!r}")


def _scale(text: str) -> tuple[str, int]:
    service, _, count = text.partition("=")
    if not service or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected SERVICE=NUMBER, got {text!r}")
    return service, int(count)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("convert", help="write Kubernetes manifests for the project")
    parser.add_argument("-o", "--output", metavar="DIR|-", default="-",
                        help="directory to write one file per object into, or - (default) "
                             "for stdout")
    parser.add_argument("-n", "--namespace", metavar="NS",
                        help="namespace of every object (a Namespace object is written too)")
    parser.add_argument("--format", choices=["yaml", "json"], default="yaml",
                        help="yaml (default) or json")
    parser.add_argument("--service-type", type=_service_type, default="ClusterIP",
                        metavar="|".join(SERVICE_TYPES),
                        help="type of the Services for published ports (default ClusterIP)")
    parser.add_argument("--image-prefix", metavar="REGISTRY",
                        help="registry for build-only services' images "
                             "(REGISTRY/<project>-<service>)")
    parser.add_argument("--scale", action="append", default=[], type=_scale,
                        metavar="SERVICE=NUM", help="replicas of a service (repeatable)")
    parser.add_argument("--wait-image", default=ConvertOptions.wait_image, metavar="IMAGE",
                        help="image of the init containers waiting for Services")
    parser.add_argument("--kubectl-image", default=ConvertOptions.kubectl_image,
                        metavar="IMAGE", help="image of the init containers waiting for Jobs")
    parser.add_argument("--cluster-domain", default=ConvertOptions.cluster_domain,
                        metavar="DOMAIN", help="the cluster's DNS domain (default "
                                               "cluster.local)")
    parser.add_argument("convert_services", nargs="*", metavar="SERVICE")
    parser.set_defaults(prepare=prepare, named_services="convert_services")


def prepare(inv: Invocation) -> Prepared:
    args = inv.args
    options = ConvertOptions(
        namespace=args.namespace, service_type=args.service_type,
        image_prefix=args.image_prefix, scale=dict(args.scale), wait_image=args.wait_image,
        kubectl_image=args.kubectl_image, cluster_domain=args.cluster_domain)
    conversion, loader_warnings = convert_project(inv.load_options(), options)
    for warning in (*loader_warnings, *conversion.warnings):
        inv.output.warn(warning)
    if args.output == "-":
        inv.output.raw(stream(conversion.manifests, args.format))
        return 0
    directory = Path(inv.cwd, args.output)
    directory.mkdir(parents=True, exist_ok=True)
    written = files(conversion.manifests, args.format)
    for name, text in written.items():
        write_atomic(directory / name, text.encode())
    project = conversion.manifests[0]["metadata"]["labels"][PART_OF] \
        if conversion.manifests else None
    for stale in stale_files(directory, set(written), project):
        stale.unlink()
    inv.output.text(f"wrote {len(conversion.manifests)} objects to {args.output}")
    return 0
