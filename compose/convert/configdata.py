"""``environment``, ``env_file``, ``secrets`` and ``configs``.

- variables the service sets itself become the container's ``env``;
- variables that came from ``env_file`` go to a ``ConfigMap`` ``<service>-env``
  read with ``envFrom`` (``env`` wins over it, as ``environment`` wins over
  ``env_file``);
- each top-level secret becomes a ``Secret``, each config a ``ConfigMap``, holding
  the file, variable or inline content; a service mounts one key of it at the
  same path as under Compose (``/run/secrets/<name>`` by default for secrets).

Kubernetes expands ``$(VAR)`` in ``env`` values, commands and arguments; Compose
does not, so every ``$`` is written ``$$`` there.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compose.convert.base import ConvertOptions, Host, Manifest, Notes, obj
from compose.convert.names import child, config_key, dns_label
from compose.convert.storage import PodStorage


def literal(text: str) -> str:
    """``text`` protected from Kubernetes' ``$(VAR)`` expansion."""
    return text.replace("$", "$$")


def environment(service: str, config: Mapping[str, Any], project: str,
                options: ConvertOptions) -> tuple[dict[str, Any], list[Manifest]]:
    """The container's ``env``/``envFrom`` and the env_file ConfigMap, if any."""
    variables = {k: v for k, v in (config.get("environment") or {}).items() if v is not None}
    explicit = options.explicit_env.get(service)
    own = variables if explicit is None else {k: v for k, v in variables.items()
                                              if k in explicit}
    from_files = {k: v for k, v in variables.items() if k not in own}
    fields: dict[str, Any] = {}
    objects: list[Manifest] = []
    if own:
        fields["env"] = [{"name": k, "value": literal(str(v))} for k, v in sorted(own.items())]
    if from_files:
        name = child(service, "env")
        config_map = obj("v1", "ConfigMap", name, project, options)
        config_map["data"] = {k: str(v) for k, v in sorted(from_files.items())}
        objects.append(config_map)
        fields["envFrom"] = [{"configMapRef": {"name": name}}]
    return fields, objects


@dataclass
class FileObjects:
    """The project's Secrets and ConfigMaps from ``secrets``/``configs``, made once each."""

    project: str
    options: ConvertOptions
    host: Host
    notes: Notes
    made: dict[tuple[str, str], Manifest] = field(default_factory=dict)

    def objects(self) -> list[Manifest]:
        return list(self.made.values())

    def reference(self, kind: str, key: str, definition: Mapping[str, Any],
                  service: str, where: str) -> tuple[str, str] | None:
        """The object name and data key holding ``kind`` (secrets/configs) ``key``."""
        data_key = config_key(key)
        if definition.get("external"):
            name = dns_label(str(definition.get("name") or key))
            self.notes.warn(service, where, f"{kind} {key!r} is external: the "
                            f"{'Secret' if kind == 'secrets' else 'ConfigMap'} {name!r} must "
                            f"already exist with a key {data_key!r}")
            return name, data_key
        name = dns_label(key)
        if (kind, name) in self.made:
            return name, data_key
        content = self._content(kind, key, definition, service, where)
        if content is None:
            return None
        if kind == "secrets":
            made = obj("v1", "Secret", name, self.project, self.options)
            made["type"] = "Opaque"
            made["data"] = {data_key: base64.b64encode(content).decode()}
        else:
            made = obj("v1", "ConfigMap", name, self.project, self.options)
            try:
                made["data"] = {data_key: content.decode("utf-8")}
            except UnicodeDecodeError:
                made["binaryData"] = {data_key: base64.b64encode(content).decode()}
        self.made[(kind, name)] = made
        return name, data_key

    def _content(self, kind: str, key: str, definition: Mapping[str, Any], service: str,
                 where: str) -> bytes | None:
        if "content" in definition:
            return str(definition["content"]).encode()
        if definition.get("environment"):
            value = self.host.variable(str(definition["environment"]))
            if value is None:
                self.notes.warn(service, where, f"{kind} {key!r}: variable "
                                f"{definition['environment']} is not set; left out")
                return None
            return value.encode()
        path = definition.get("file")
        if path and self.host.kind(str(path)) == "file":
            return self.host.read(str(path))
        self.notes.warn(service, where, f"{kind} {key!r}: file {path} cannot be read; left out")
        return None


def mount_files(service: str, config: Mapping[str, Any], canonical: Mapping[str, Any],
                files: FileObjects, storage: PodStorage) -> None:
    """Mount the service's secrets and configs at their Compose paths."""
    for kind in ("secrets", "configs"):
        declared = canonical.get(kind) or {}
        for index, ref in enumerate(config.get(kind) or []):
            where = f"{kind}[{index}]"
            source = str(ref.get("source", ""))
            if source not in declared:
                files.notes.warn(service, where, f"{source!r} is not declared; left out")
                continue
            found = files.reference(kind, source, declared[source], service, where)
            if found is None:
                continue
            name, data_key = found
            target = str(ref.get("target") or f"/{source}")
            if not target.startswith("/"):
                target = f"/run/secrets/{target}" if kind == "secrets" else f"/{target}"
            for owner in ("uid", "gid"):
                if ref.get(owner):
                    files.notes.warn(service, f"{where}.{owner}", "file ownership cannot be "
                                     "set on a mounted key; use the pod's fsGroup")
            item: dict[str, Any] = {"key": data_key, "path": data_key}
            if ref.get("mode") is not None:
                item["mode"] = int(str(ref["mode"]), 8)
            if kind == "secrets":
                volume = {"name": child("secret", source),
                          "secret": {"secretName": name, "items": [item]}}
            else:
                volume = {"name": child("config", source),
                          "configMap": {"name": name, "items": [item]}}
            storage.add(volume, {"mountPath": target, "subPath": data_key, "readOnly": True})
