"""Service ``volumes``: the short syntax (``src:dst:opts``) parsed into the long form.

As compose-go's ``format.ParseVolume``: colons inside ``${...}`` (a default such as
``${T:-12:30:45}``, nested ones too) do not split, so a spec that still holds its
variables (``--no-interpolate``, ``$${`` escapes) keeps its target and options.

The rules are docker compose's: a source starting with ``.``, ``/``, ``~`` (or a
Windows drive / pipe) is a bind mount, anything else names a volume, no source at
all is an anonymous volume.  Relative and ``~`` sources are made absolute
(``resolve_source``); absolute ones are kept exactly as written.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import re
from collections.abc import Mapping
from typing import Any

_DRIVE = re.compile(r"(?:^|:)[^\W\d_]:")  # a one-letter section then ":": c:\\data
PROPAGATIONS = ("rprivate", "private", "rshared", "shared", "rslave", "slave")
SELINUX = ("z", "Z")


class VolumeSpecError(ValueError):
    pass


def parse_volume(spec: str) -> dict[str, Any]:
    """The long form of a short-syntax entry, before any path is resolved."""
    if not spec:
        raise VolumeSpecError("invalid empty volume spec")
    if len(spec) <= 2:  # compose-go's shortcut: no `volume: {}` here
        return {"type": "volume", "target": spec}
    if "${" not in spec and not _DRIVE.search(spec):
        return _with_type(_split_plain(spec))
    volume: dict[str, Any] = {}
    buffer = ""
    depth = 0  # inside how many ${...}: their colons do not split
    for index, char in enumerate(spec + "\0"):
        if char == "$" and spec[index + 1:index + 2] == "{":
            depth += 1
            buffer += char
        elif char == "}" and depth:
            depth -= 1
            buffer += char
        elif char == ":" and len(buffer) == 1 and buffer.isalpha():
            buffer += char  # a Windows drive letter, as in c:\\data
        elif char in {":", "\0"} and not depth:
            _take_field(spec, volume, buffer, char)
            buffer = ""
        else:
            buffer += char  # an unclosed ${ swallows the end: compose-go drops that field
    return _with_type(volume)


def _split_plain(spec: str) -> dict[str, Any]:
    """The same as the loop above for a spec without variables or drive letters,
    with ``str.split`` (a large project has thousands of volume specs)."""
    parts = spec.split(":")
    for part in parts[:3]:
        if not part:
            raise VolumeSpecError(f"invalid spec: {spec}: empty section between colons")
    if len(parts) > 3:
        raise VolumeSpecError(f"invalid spec: {spec}: too many colons")
    if len(parts) == 1:
        return {"target": spec}
    volume: dict[str, Any] = {"source": parts[0], "target": parts[1]}
    if len(parts) == 3:
        _apply_options(volume, parts[2])
    return volume


def _take_field(spec: str, volume: dict[str, Any], field: str, char: str) -> None:
    """compose-go's ``populateFieldFromBuffer``: source, target, then options."""
    if not field:
        raise VolumeSpecError(f"invalid spec: {spec}: empty section between colons")
    if "source" not in volume and char == "\0":
        volume["target"] = field
    elif "source" not in volume:
        volume["source"] = field
    elif "target" not in volume:
        volume["target"] = field
    elif char == ":":
        raise VolumeSpecError(f"invalid spec: {spec}: too many colons")
    else:
        _apply_options(volume, field)


def _apply_options(volume: dict[str, Any], options: str) -> None:
    for option in options.split(","):
        if option == "ro":
            volume["read_only"] = True
        elif option == "rw":
            volume.pop("read_only", None)
        elif option == "nocopy":
            volume["volume"] = {"nocopy": True}
        elif option in SELINUX:
            volume.setdefault("bind", {})["selinux"] = option
        elif option in PROPAGATIONS:
            volume.setdefault("bind", {})["propagation"] = option


def _with_type(volume: dict[str, Any]) -> dict[str, Any]:
    """The type from the source; options of the other type are kept (``/a:/b:nocopy``
    keeps ``volume: {nocopy: true}``), as docker compose keeps them."""
    if is_file_path(volume.get("source", "")):
        volume["type"] = "bind"
        volume["bind"] = {**volume.get("bind", {}), "create_host_path": True}
    else:
        volume["type"] = "volume"
        volume.setdefault("volume", {})
    order = ("type", "source", "target", "read_only", "bind", "volume")
    return {key: volume[key] for key in order if key in volume}


def is_file_path(source: str) -> bool:
    if not source:
        return False
    if source[0] in ".~/" or source.startswith("\\\\"):
        return True
    return len(source) > 1 and source[0].isalpha() and source[1] == ":"


def resolve_source(source: str, working_dir: str, environ: Mapping[str, str]) -> str:
    """A bind source made absolute: ``~`` is the user's home, relative is the project's."""
    if source.startswith("~"):
        home = environ.get("HOME") or os.path.expanduser("~")
        source = posixpath.join(home, source[1:].lstrip("/"))
        source = posixpath.normpath(source) if source[1:] else source
    if posixpath.isabs(source) or ntpath.isabs(source) or source.startswith("\\\\"):
        return source
    return posixpath.normpath(posixpath.join(working_dir, source))


def clean_target(target: str) -> str:
    """Container paths are cleaned as Go's ``path.Clean`` does (``/media/`` ->
    ``/media``, and a relative one too: ``a:/0/``, read as a drive, -> ``a:/0``)."""
    if not target:
        return target
    return posixpath.normpath(target).replace("//", "/")
