"""The local volume driver's rules (pure): which drivers and options exist, and
the record a project's volume is created with."""

from __future__ import annotations

from collections.abc import Mapping

from common.records import ANONYMOUS_LABEL, VolumeRecord
from compose.spec.model import Volume

LOCAL = "local"
# Docker's local driver accepts these keys (volume/local/local_unix.go validOpts).
VALID_OPTIONS = frozenset({"type", "o", "device", "size"})
PROJECT_LABEL = "com.docker.compose.project"
VOLUME_LABEL = "com.docker.compose.volume"
VERSION_LABEL = "com.docker.compose.version"


class DriverError(ValueError):
    pass


def check_driver(driver: str, options: Mapping[str, str], where: str) -> None:
    """Only the local driver exists on one host; its options are Docker's."""
    if driver not in ("", LOCAL):
        raise DriverError(f"{where}: volume driver {driver!r} is not available on this host "
                          "(only \"local\" is)")
    for key in options:
        if key not in VALID_OPTIONS:
            raise DriverError(f"{where}: invalid option key: {key!r}")
    if "size" in options:
        raise DriverError(f"{where}: quota size requested but no quota support")
    opts = [o for o in options.get("o", "").split(",") if o]
    if options and "bind" not in opts and options.get("type", "none") == "none":
        raise DriverError(f"{where}: driver_opts needs a type, or o: bind with a device")
    if "bind" in opts and not options.get("device"):
        raise DriverError(f"{where}: driver_opts o: bind needs a device")


def project_volume(project: str, volume: Volume, now: float) -> VolumeRecord:
    """The record of a declared volume: its labels say which project owns it."""
    check_driver(volume.driver, volume.driver_opts, f"volumes.{volume.key}")
    return VolumeRecord(
        name=volume.name,
        driver=LOCAL,
        labels={**volume.labels, PROJECT_LABEL: project, VOLUME_LABEL: volume.key,
                VERSION_LABEL: "2"},
        options=dict(volume.driver_opts),
        created=now,
    )


def anonymous_volume(name: str, now: float, project: str = "") -> VolumeRecord:
    """An anonymous volume; labelled with its project, so ``down -v`` also finds the
    ones a plain ``down`` left behind (Docker leaves those to ``volume prune``)."""
    labels = {ANONYMOUS_LABEL: "", **({PROJECT_LABEL: project} if project else {})}
    return VolumeRecord(name=name, driver=LOCAL, labels=labels, created=now)


def check_name(name: str) -> None:
    """Docker's volume name rule: ``[a-zA-Z0-9][a-zA-Z0-9_.-]+``."""
    import re

    if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", name):
        raise DriverError(f"volume name {name!r} includes invalid characters for a local "
                          "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed")
