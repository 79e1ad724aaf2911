"""``publish``'s pure decisions: how a file is rewritten (docker compose's
``transform.replace``: from the value to the end of its line) and the manifest."""

from __future__ import annotations

import hashlib
import json

from compose.planning.publish import artifact, compose_layer, rewrite


def _sha(path: str, suffix: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest() + suffix


def test_env_files_in_every_form_and_local_extends_become_opaque_names() -> None:
    text = ("services:\n"
            "  a:\n    env_file: a.env  # gone\n"
            "  b:\n    env_file:\n      - ./b.env\n"
            "      - path: sub/c.env\n        required: false\n"
            "  c:\n    extends: {file: base.yaml, service: x}\n"
            "  d:\n    extends:\n      file: remote.yaml\n      service: y\n")
    done = rewrite(text, "/p", lambda path: path != "/p/remote.yaml")
    a, b, c, base = (_sha(p, s) for p, s in (("/p/a.env", ".env"), ("/p/b.env", ".env"),
                                             ("/p/sub/c.env", ".env"), ("/p/base.yaml", ".yaml")))
    assert done.env_files == {"/p/a.env": a, "/p/b.env": b, "/p/sub/c.env": c}
    assert done.extends == {"/p/base.yaml": base}
    assert done.text == ("services:\n"
                         f"  a:\n    env_file: {a}\n"
                         f"  b:\n    env_file:\n      - {b}\n      - path: {c}\n"
                         "        required: false\n"
                         f"  c:\n    extends: {{file: {base}\n"  # to the end of the line
                         "  d:\n    extends:\n      file: remote.yaml\n      service: y\n")


def test_manifest_for_each_oci_version() -> None:
    layer = compose_layer("/p/compose.yaml", b"services: {}\n", "0.1.0")
    new = json.loads(artifact([layer], "1.1", "2026-01-01T00:00:00Z").manifest)
    assert new == {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.docker.compose.project",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "digest": "sha256:" + hashlib.sha256(b"{}").hexdigest(),
                   "size": 2, "data": "e30="},
        "layers": [{"mediaType": "application/vnd.docker.compose.file+yaml",
                    "digest": "sha256:" + hashlib.sha256(b"services: {}\n").hexdigest(),
                    "size": 13,
                    "annotations": {"com.docker.compose.file": "compose.yaml",
                                    "com.docker.compose.version": "0.1.0"},
                    "data": "c2VydmljZXM6IHt9Cg=="}],
        "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"}}
    old = json.loads(artifact([layer], "1.0", "2026-01-01T00:00:00Z").manifest)
    assert "artifactType" not in old
    assert old["config"]["mediaType"] == "application/vnd.docker.compose.config.empty.v1+json"
