"""``publish``: the project's Compose files as an OCI artifact, decided as docker
compose v2.40's ``pkg/compose/publish.go`` and ``internal/oci/push.go`` decide it.

Pure: given the files' bytes, which projects may be published, how each file is
rewritten (local ``env_file`` and ``extends`` paths become opaque ``<sha256>.env``
and ``<sha256>.yaml`` names, so no local path leaks), and the artifact's layers,
config and manifest.  The engine reads the files and pushes the blobs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from common.errors import UsageError
from compose.spec.model import Project

ARTIFACT_TYPE = "application/vnd.docker.compose.project"
FILE_MEDIA_TYPE = "application/vnd.docker.compose.file+yaml"
ENV_FILE_MEDIA_TYPE = "application/vnd.docker.compose.envfile"
EMPTY_CONFIG_MEDIA_TYPE = "application/vnd.docker.compose.config.empty.v1+json"
EMPTY_JSON_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
OCI_VERSIONS = ("1.0", "1.1")
_ENV_SUFFIX = (" To avoid leaking sensitive data, you must either explicitly allow the "
               "sending of environment variables by using the --with-env flag, or remove "
               "sensitive data from your Compose configuration")


@dataclass(frozen=True)
class Blob:
    """One descriptor of the artifact with its bytes."""

    media_type: str
    data: bytes
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.data).hexdigest()

    def descriptor(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mediaType": self.media_type, "digest": self.digest,
                               "size": len(self.data)}
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        out["data"] = base64.b64encode(self.data).decode()  # as docker compose embeds it
        return out


@dataclass(frozen=True)
class Artifact:
    """What is pushed: the config blob and the layers, then the manifest."""

    config: Blob
    layers: tuple[Blob, ...]
    manifest: bytes
    artifact_type: str


# --- what may be published ------------------------------------------------------------


def check_publishable(project: Project, *, with_env: bool, assume_yes: bool) -> None:
    """docker compose's pre-checks that refuse: a service with only a build
    section; environment variables or env files unless ``--with-env`` (``-y``
    skips that check, as it does in docker compose v2.40)."""
    build_only = [n for n, s in project.services.items()
                  if not s.canonical.get("image") and s.canonical.get("build")]
    if build_only:
        names = ", ".join(f'"{n}"' for n in build_only)
        raise UsageError("your Compose stack cannot be published as it only contains a "
                         f"build section for service(s): {names}")
    if with_env or assume_yes:
        return
    problems: list[str] = []
    for name, service in project.services.items():
        if service.canonical.get("env_file"):
            problems.append(f'service "{name}" has env_file declared.')
        if service.environment:
            problems.append(f'service "{name}" has environment variable(s) declared.')
    if problems:
        raise UsageError(" ".join(problems) + _ENV_SUFFIX)


def bind_mounts(project: Project) -> list[str]:
    """``service: source:target`` for each bind mount, what docker compose asks
    about before publishing their declarations."""
    return [f"{name}: {m.source}:{m.target}" for name, service in project.services.items()
            for m in service.mounts if m.type == "bind"]


def local_includes(documents: Sequence[Any]) -> bool:
    """Whether a file includes another from this machine (docker compose refuses)."""
    for document in documents:
        if not isinstance(document, Mapping):
            continue
        for entry in document.get("include") or []:
            paths = entry.get("path") if isinstance(entry, Mapping) else entry
            for path in [paths] if isinstance(paths, str) else paths or []:
                if isinstance(path, str) and "://" not in path and not path.startswith("git@"):
                    return True
    return False


# --- the files, rewritten -------------------------------------------------------------


@dataclass
class Rewritten:
    """A file as published, and the local files it named."""

    text: str
    env_files: dict[str, str] = field(default_factory=dict)  # local path -> <sha>.env
    extends: dict[str, str] = field(default_factory=dict)  # local path -> <sha>.yaml


def _opaque(path: str, suffix: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest() + suffix


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found: yaml.Node = v
            return found
    return None


def _env_file_nodes(node: yaml.Node | None) -> list[yaml.ScalarNode]:
    """The scalar naming each env file: ``env_file: a``, ``[a, b]`` or ``[{path: a}]``."""
    if isinstance(node, yaml.ScalarNode):
        return [node]
    found: list[yaml.ScalarNode] = []
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            target = _child(item, "path") if isinstance(item, yaml.MappingNode) else item
            if isinstance(target, yaml.ScalarNode):
                found.append(target)
    return found


def rewrite(text: str, working_dir: str, exists: Callable[[str], bool]) -> Rewritten:
    """``text`` with each local ``env_file`` and ``extends.file`` path replaced by
    its opaque name, from the value to the end of its line, as docker compose's
    ``transform.replace`` does (paths resolve against ``working_dir``)."""
    root = yaml.compose(text)
    out = Rewritten(text)
    edits: list[tuple[int, str]] = []
    services = _child(root, "services")
    for _, service in services.value if isinstance(services, yaml.MappingNode) else []:
        for node in _env_file_nodes(_child(service, "env_file")):
            path = os.path.normpath(os.path.join(working_dir, node.value))
            out.env_files[path] = _opaque(path, ".env")
            edits.append((node.start_mark.index, out.env_files[path]))
        file = _child(_child(service, "extends"), "file")
        if isinstance(file, yaml.ScalarNode):
            path = os.path.normpath(os.path.join(working_dir, file.value))
            if exists(path):  # otherwise a remote resource
                out.extends[path] = _opaque(path, ".yaml")
                edits.append((file.start_mark.index, out.extends[path]))
    for start, value in sorted(edits, reverse=True):
        end = text.find("\n", start)
        text = text[:start] + value + (text[end:] if end >= 0 else "")
    out.text = text
    return out


def compose_layer(name: str, data: bytes, version: str, *, extends: bool = False) -> Blob:
    annotations = {"com.docker.compose.file": os.path.basename(name),
                   "com.docker.compose.version": version}
    if extends:
        annotations["com.docker.compose.extends"] = "true"
    return Blob(FILE_MEDIA_TYPE, data, annotations)


def env_layer(name: str, data: bytes, version: str) -> Blob:
    return Blob(ENV_FILE_MEDIA_TYPE, data, {"com.docker.compose.envfile": name,
                                            "com.docker.compose.version": version})


def digests_override(images: Mapping[str, str]) -> bytes:
    """``image-digests.yaml``: each service's image pinned to its digest."""
    document = {"services": {name: {"image": image} for name, image in sorted(images.items())}}
    return yaml.safe_dump(document, sort_keys=False).encode()


# --- the manifest ---------------------------------------------------------------------


def artifact(layers: Sequence[Blob], oci_version: str, created: str) -> Artifact:
    """The manifest over ``layers``: OCI 1.1 names its artifact type and has the
    empty config; OCI 1.0 has no artifactType, so its config's media type says
    what it is (the image-spec's guidance for artifacts)."""
    if oci_version == "1.0":
        config = Blob(EMPTY_CONFIG_MEDIA_TYPE, b"{}")
        artifact_type = ""
    elif oci_version == "1.1":
        config = Blob(EMPTY_JSON_MEDIA_TYPE, b"{}")
        artifact_type = ARTIFACT_TYPE
    else:
        raise UsageError(f"unsupported OCI version: {oci_version}")
    manifest: dict[str, Any] = {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE}
    if artifact_type:
        manifest["artifactType"] = artifact_type
    manifest["config"] = config.descriptor()
    manifest["layers"] = [layer.descriptor() for layer in layers]
    manifest["annotations"] = {"org.opencontainers.image.created": created}
    body = json.dumps(manifest, separators=(",", ":")).encode()
    return Artifact(config, tuple(layers), body, artifact_type)
