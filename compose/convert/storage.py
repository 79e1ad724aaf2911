"""Service ``volumes``, ``tmpfs`` and ``shm_size`` as pod volumes and mounts.

- named volume: a ``PersistentVolumeClaim`` named after the volume's key (size and
  storage class from the volume's labels, ``ReadWriteMany`` when more than one pod
  mounts it); an external volume's claim must already exist;
- anonymous volume: ``emptyDir``;
- tmpfs: ``emptyDir`` with ``medium: Memory`` (and its size as ``sizeLimit``);
- bind mount of a file: a ``ConfigMap`` holding a copy, mounted with ``subPath``
  at the same path, with a warning; of a directory: left out, with a warning;
- ``volumes_from``: the other service's claims and bind-mounted files, mounted at
  the same paths (read-only with ``:ro``); its anonymous volumes cannot be shared.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.sizes import parse_bytes
from compose.convert.base import ConvertOptions, Host, Manifest, Notes, obj
from compose.convert.names import child, config_key, dns_label

SIZE_LABELS = ("pycompose.k8s.size", "kompose.volume.size")
CLASS_LABELS = ("pycompose.k8s.storage-class", "kompose.volume.storage-class-name")
DEFAULT_SIZE = "1Gi"
CONFIGMAP_LIMIT = 1024 * 1024


@dataclass
class PodStorage:
    """What one service's pod gets: volumes, its container's mounts, extra objects."""

    volumes: list[dict[str, Any]] = field(default_factory=list)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    objects: list[Manifest] = field(default_factory=list)

    def add(self, volume: dict[str, Any], mount: dict[str, Any]) -> None:
        taken = {v["name"] for v in self.volumes}
        name, index = volume["name"], 1
        while name in taken:
            index += 1
            name = child(volume["name"], str(index))
        self.volumes.append({**volume, "name": name})
        self.mounts.append({**mount, "name": name})


def claim_name(key: str, volume: Mapping[str, Any]) -> str:
    return dns_label(str(volume.get("name") or key) if volume.get("external") else key)


def claims(canonical: Mapping[str, Any], users: Mapping[str, int], project: str,
           options: ConvertOptions, notes: Notes) -> list[Manifest]:
    """A claim per named volume some pod mounts; ``users`` counts pods per volume."""
    result = []
    for key, volume in sorted((canonical.get("volumes") or {}).items()):
        if key not in users:
            continue
        where = f"volumes.{key}"
        if volume.get("external"):
            notes.warn(None, where, f"external: the PersistentVolumeClaim "
                                    f"{claim_name(key, volume)!r} must already exist")
            continue
        for option in ("driver", "driver_opts"):
            if volume.get(option):
                notes.warn(None, f"{where}.{option}", "cannot be expressed in a "
                                                      "PersistentVolumeClaim; ignored")
        labels = volume.get("labels") or {}
        size = next((labels[k] for k in SIZE_LABELS if labels.get(k)), DEFAULT_SIZE)
        storage_class = next((labels[k] for k in CLASS_LABELS if labels.get(k)), None)
        shared = users[key] > 1
        if shared:
            notes.warn(None, where, "mounted by more than one pod: the claim asks for "
                                    "ReadWriteMany, which its storage class must offer")
        claim = obj("v1", "PersistentVolumeClaim", claim_name(key, volume), project, options)
        spec: dict[str, Any] = {
            "accessModes": ["ReadWriteMany" if shared else "ReadWriteOnce"],
            "resources": {"requests": {"storage": str(size)}},
        }
        if storage_class:
            spec["storageClassName"] = str(storage_class)
        claim["spec"] = spec
        result.append(claim)
    return result


def tmpfs_size(options: str) -> int | None:
    """``size=`` from a tmpfs option string (``size=64m,mode=1777``), in bytes;
    None when absent or not a size Docker would read (``go-units``, 1g = 1024³)."""
    for option in options.split(","):
        name, _, value = option.partition("=")
        if name == "size" and value:
            try:
                return parse_bytes(value) or None
            except ValueError:
                return None
    return None


def _memory(size: int | None) -> dict[str, Any]:
    return {"medium": "Memory", **({"sizeLimit": str(size)} if size else {})}


def pod_storage(service: str, config: Mapping[str, Any], canonical: Mapping[str, Any],
                project: str, options: ConvertOptions, host: Host,
                notes: Notes) -> PodStorage:
    storage = PodStorage()
    for index, entry in enumerate(config.get("tmpfs") or []):
        target, _, opts = str(entry).partition(":")
        storage.add({"name": f"tmpfs-{index}", "emptyDir": _memory(tmpfs_size(opts))},
                    {"mountPath": target})
    if config.get("shm_size"):
        storage.add({"name": "shm", "emptyDir": _memory(int(config["shm_size"]))},
                    {"mountPath": "/dev/shm"})
    for index, volume in enumerate(config.get("volumes") or []):
        _volume(service, index, volume, canonical, project, options, host, notes, storage)
    for index, entry in enumerate(config.get("volumes_from") or []):
        _volumes_from(service, index, str(entry), canonical, project, options, host, notes,
                      storage)
    return storage


def volumes_from_sources(config: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(service, read_only) for each ``volumes_from`` entry naming a service."""
    found = []
    for entry in config.get("volumes_from") or []:
        text = str(entry)
        if text.startswith("container:"):
            continue
        name, _, mode = text.partition(":")
        found.append((name, mode == "ro"))
    return found


def _volumes_from(service: str, index: int, entry: str, canonical: Mapping[str, Any],
                  project: str, options: ConvertOptions, host: Host, notes: Notes,
                  storage: PodStorage) -> None:
    """Another service's named volumes and bind-mounted files, at the same paths."""
    where = f"volumes_from[{index}]"
    if entry.startswith("container:"):
        notes.warn(service, where, f"{entry!r}: a container outside the project cannot be "
                                   "expressed; ignored")
        return
    source, _, mode = entry.partition(":")
    other = (canonical.get("services") or {}).get(source)
    if other is None:
        notes.warn(service, where, f"{source!r} is not converted; ignored")
        return
    for volume in other.get("volumes") or []:
        kind = volume.get("type")
        if kind == "volume" and not volume.get("source"):
            notes.warn(service, where, f"{source}'s anonymous volume {volume.get('target')} "
                                       "cannot be shared between pods; left out")
            continue
        if kind not in ("volume", "bind"):
            continue
        shared = dict(volume)
        if mode == "ro":
            shared["read_only"] = True
        elif mode == "rw":
            shared.pop("read_only", None)
        _volume(service, index, shared, canonical, project, options, host, notes, storage,
                where=where)


def _volume(service: str, index: int, volume: Mapping[str, Any],
            canonical: Mapping[str, Any], project: str, options: ConvertOptions, host: Host,
            notes: Notes, storage: PodStorage, where: str | None = None) -> None:
    kind, target = volume.get("type"), str(volume.get("target", ""))
    key = where or f"volumes[{index}]"
    mount: dict[str, Any] = {"mountPath": target}
    if volume.get("read_only"):
        mount["readOnly"] = True
    subpath = (volume.get("volume") or {}).get("subpath")
    if subpath:
        mount["subPath"] = subpath
    if kind == "volume":
        source = volume.get("source")
        if not source:
            storage.add({"name": f"anonymous-{index}", "emptyDir": {}}, mount)
            return
        declared = (canonical.get("volumes") or {}).get(source, {})
        name = claim_name(source, declared)
        storage.add({"name": name, "persistentVolumeClaim": {"claimName": name}}, mount)
        return
    if kind == "tmpfs":
        size = (volume.get("tmpfs") or {}).get("size")
        if (volume.get("tmpfs") or {}).get("mode"):
            notes.warn(service, f"{key}.tmpfs.mode", "an emptyDir's mode cannot be set")
        storage.add({"name": f"tmpfs-v{index}", "emptyDir": _memory(int(size) if size
                                                                    else None)}, mount)
        return
    if kind == "bind":
        _bind(service, key, volume, mount, project, options, host, notes, storage)
        return
    notes.warn(service, key, f"a volume of type {kind!r} cannot be expressed; left out")


def _bind(service: str, key: str, volume: Mapping[str, Any], mount: dict[str, Any],
          project: str, options: ConvertOptions, host: Host, notes: Notes,
          storage: PodStorage) -> None:
    source = str(volume.get("source", ""))
    found = host.kind(source)
    if found == "dir":
        notes.warn(service, key, f"bind mount of directory {source} cannot be expressed "
                                 "(put its content in an image, a ConfigMap or a "
                                 "PersistentVolumeClaim); left out")
        return
    if found != "file":
        notes.warn(service, key, f"bind mount source {source} does not exist here; left out")
        return
    content = host.read(source)
    if len(content) > CONFIGMAP_LIMIT:
        notes.warn(service, key, f"bind mount of file {source} is larger than a ConfigMap "
                                 "holds (1 MiB); left out")
        return
    data_key = config_key(source)
    name = child(service, data_key)
    taken = {made["metadata"]["name"] for made in storage.objects}
    if name in taken:  # two files of the same name from different folders
        name = child(service, f"{data_key}-{key[len('volumes['):-1]}")
    config_map = obj("v1", "ConfigMap", name, project, options)
    try:
        config_map["data"] = {data_key: content.decode("utf-8")}
    except UnicodeDecodeError:
        config_map["binaryData"] = {data_key: base64.b64encode(content).decode()}
    storage.objects.append(config_map)
    notes.warn(service, key, f"bind mount of file {source} becomes ConfigMap {name!r}: "
                             "a copy taken now, mounted read-only; later changes on this "
                             "host are not seen")
    storage.add({"name": child("file", data_key), "configMap": {"name": name}},
                {**mount, "subPath": data_key, "readOnly": True})
