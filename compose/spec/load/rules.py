"""Loader phase: the rules compose-go checks on the merged file that the JSON
schema cannot say (its ``validation`` package, the environment decoding and the
bind-source check of its path resolution), with its messages, pure.

They run after the files are merged and before the canonical form, as there;
``config --no-consistency`` does not skip them (Docker Compose does not either).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from compose.spec.load.parse import KeyPath
from compose.spec.sources import Sources

_FILE_OBJECTS = {"configs": ("file", "environment", "content"),
                 "secrets": ("file", "environment")}


class RuleError(ValueError):
    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def check_rules(data: Mapping[str, Any], sources: Sources, *, decode: bool = True) -> None:
    """The first rule the merged file ``data`` breaks, as a ComposeFileError.  Without
    ``decode`` (``config --no-interpolate``, where Docker Compose prints the model
    without decoding it into its structs) environment entries are not checked."""
    for broken in _broken(data, decode):
        raise sources.error(broken.path, broken.message)


def _broken(data: Mapping[str, Any], decode: bool) -> Iterator[RuleError]:
    for key, volume in _entries(data.get("volumes")):
        yield from _external(("volumes", key), volume)
    for kind, keys in _FILE_OBJECTS.items():
        for key, entry in _entries(data.get(kind)):
            yield from _file_object((kind, key), entry, keys)
    for name, service in _entries(data.get("services")):
        yield from _service(("services", name), service, decode)


def _entries(section: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(section, Mapping):
        yield from ((str(k), v) for k, v in section.items())


def _external(path: KeyPath, volume: Any) -> Iterator[RuleError]:
    if not isinstance(volume, Mapping) or volume.get("external") is not True:
        return
    for key in volume:
        if key not in ("name", "external") and not str(key).startswith("x-"):
            yield RuleError(path, f'conflicting parameters "external" and "{key}" specified')
            return


def _file_object(path: KeyPath, entry: Any, keys: tuple[str, ...]) -> Iterator[RuleError]:
    if not isinstance(entry, Mapping):
        return
    count = sum(1 for key in keys if key in entry)
    if count > 1:
        yield RuleError(path, f"{'|'.join(keys)} attributes are mutually exclusive")
    elif count == 0 and "driver" not in entry and "external" not in entry:
        yield RuleError(path, f"one of {'|'.join(keys)} must be set")


def _service(path: KeyPath, service: Any, decode: bool) -> Iterator[RuleError]:
    if not isinstance(service, Mapping):
        return
    if decode:
        yield from _trailing_spaces((*path, "environment"), service.get("environment"))
        build = service.get("build")
        if isinstance(build, Mapping):
            yield from _trailing_spaces((*path, "build", "args"), build.get("args"))
    if decode:
        yield from _env_file_required((*path, "env_file"), service.get("env_file"))
    for index, port in enumerate(service.get("ports") or ()):
        yield from _host_ip((*path, "ports", index), port)
    for index, watch in enumerate(((service.get("develop") or {}).get("watch")) or ()):
        if isinstance(watch, Mapping) and watch.get("path") == "":
            yield RuleError((*path, "develop", "watch", index, "path"), "value can't be blank")
    devices = (((service.get("deploy") or {}).get("resources") or {}).get("reservations")
               or {}).get("devices")
    requests = [((*path, "deploy", "resources", "reservations", "devices"), devices),
                ((*path, "gpus"), service.get("gpus"))]
    for where, entries in requests:
        for index, request in enumerate(entries if isinstance(entries, list) else ()):
            if isinstance(request, Mapping) and "count" in request and "device_ids" in request:
                yield RuleError((*where, index),
                                '"count" and "device_ids" attributes are exclusive')
    for index, mount in enumerate(service.get("volumes") or ()):
        if isinstance(mount, Mapping) and mount.get("type") == "bind" and "source" not in mount:
            yield RuleError((*path, "volumes", index), 'invalid mount config for type "bind": '
                                                       "field Source must not be empty")


def _env_file_required(path: KeyPath, entries: Any) -> Iterator[RuleError]:
    """``env_file[].required`` as a string is decoded as compose-go reads booleans
    (the schema lets any string through): Docker Compose refuses anything else."""
    for index, entry in enumerate(entries if isinstance(entries, list) else ()):
        value = entry.get("required") if isinstance(entry, Mapping) else None
        if isinstance(value, str) and value.lower() not in _BOOLEANS:
            yield RuleError((*path, index, "required"), f"invalid boolean: {value}")


_BOOLEANS = {"true", "false", "y", "yes", "on", "n", "no", "off"}


def _host_ip(path: KeyPath, port: Any) -> Iterator[RuleError]:
    if not isinstance(port, Mapping) or "host_ip" not in port:
        return
    address = str(port["host_ip"])
    try:
        ipaddress.ip_address(address)
    except ValueError:
        yield RuleError((*path, "host_ip"), f"invalid ip address: {address}")


def _trailing_spaces(path: KeyPath, entries: Any) -> Iterator[RuleError]:
    """List-form ``KEY=value`` entries: a key ending in whitespace is refused (a
    leading one is kept), as compose-go's ``MappingWithEquals`` decodes them."""
    if not isinstance(entries, list):
        return
    for index, entry in enumerate(entries):
        key = str(entry).partition("=")[0]
        if key and key[-1].isspace():
            yield RuleError((*path, index),
                            f"environment variable {key!r} is declared with a trailing space")
