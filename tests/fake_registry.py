"""An in-memory registry (distribution API v2) behind ``httpx.MockTransport``, for
tests of pull and push that need no network: anonymous, Basic or Bearer auth,
range requests, and faults on demand (status codes, cut streams, lying blobs)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import trio

REALM = "https://auth.test/token"
SERVICE = "fake-registry"
USER, PASSWORD = "alice", "wonderland"


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class FakeRegistry:
    auth: str = "none"  # "none" | "basic" | "bearer"
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    statuses: dict[str, list[int]] = field(default_factory=dict)
    """Path substring to statuses answered (once each) before the real answer."""
    cut: dict[str, int] = field(default_factory=dict)
    """Blob digest to a byte count after which its next download breaks."""
    lie: dict[str, bytes] = field(default_factory=dict)
    """Blob digest to other bytes served in its place."""
    no_ranges: bool = False
    tokens: dict[str, str] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # content

    def add_blob(self, data: bytes) -> dict[str, object]:
        digest = digest_of(data)
        self.blobs[digest] = data
        return {"digest": digest, "size": len(data)}

    def add_manifest(self, repo: str, tag: str | None, document: dict[str, object]) -> str:
        body = json.dumps(document).encode()
        digest = digest_of(body)
        media = str(document.get("mediaType", "application/vnd.oci.image.manifest.v1+json"))
        self.manifests[(repo, digest)] = (body, media)
        if tag:
            self.manifests[(repo, tag)] = (body, media)
        return digest

    def hits(self, method: str, part: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and part in r.url.path]

    # the API

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        for part, statuses in self.statuses.items():
            if part in path and statuses:
                return httpx.Response(statuses.pop(0))
        if request.url.host == "auth.test":
            return self._token(request)
        if not self._authorized(request, path):
            return httpx.Response(401, headers={"WWW-Authenticate": self._challenge(path)},
                                  json={"errors": [{"code": "UNAUTHORIZED",
                                                    "message": "authentication required"}]})
        if path == "/v2/":
            return httpx.Response(200, json={})
        match = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/(.+)", path)
        if match and not match.group(3).startswith("uploads"):
            repo, kind, ref = match.groups()
            if kind == "manifests":
                return await self._manifest(request, repo, ref)
            return self._blob(request, ref)
        upload = re.fullmatch(r"/v2/(.+)/blobs/uploads/(.*)", path)
        if upload:
            return await self._upload(request, upload.group(1), upload.group(2))
        return httpx.Response(404)

    def _challenge(self, path: str) -> str:
        if self.auth == "basic":
            return 'Basic realm="fake"'
        repo = re.match(r"/v2/(.+)/(manifests|blobs)/", path)
        scope = f',scope="repository:{repo.group(1)}:pull"' if repo else ""
        return f'Bearer realm="{REALM}",service="{SERVICE}"{scope}'

    def _authorized(self, request: httpx.Request, path: str) -> bool:
        header = request.headers.get("authorization", "")
        if self.auth == "none":
            return True
        if self.auth == "basic":
            return header == "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        scope = self.tokens.get(header.removeprefix("Bearer "))
        if scope is None:
            return False
        if path == "/v2/":
            return True
        repo = re.match(r"/v2/(.+)/(manifests|blobs)/", path)
        need = "push" if request.method in ("PUT", "POST", "PATCH") else "pull"
        return bool(repo) and scope.startswith(f"repository:{repo.group(1)}:") and \
            need in scope.rsplit(":", 1)[1].split(",")

    def _token(self, request: httpx.Request) -> httpx.Response:
        header = request.headers.get("authorization", "")
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if header != expected:
            return httpx.Response(401)
        token = secrets.token_hex(8)
        self.tokens[token] = request.url.params.get("scope", "")
        return httpx.Response(200, json={"token": token})

    async def _manifest(self, request: httpx.Request, repo: str, ref: str) -> httpx.Response:
        if request.method == "PUT":
            body = await request.aread()
            media = request.headers.get("content-type", "")
            self.manifests[(repo, ref)] = (body, media)
            self.manifests[(repo, digest_of(body))] = (body, media)
            return httpx.Response(201, headers={"Docker-Content-Digest": digest_of(body)})
        found = self.manifests.get((repo, ref))
        if found is None:
            return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN",
                                                         "message": "manifest unknown"}]})
        body, media = found
        return httpx.Response(200, content=body if request.method == "GET" else b"",
                              headers={"Content-Type": media,
                                       "Docker-Content-Digest": digest_of(body)})

    def _blob(self, request: httpx.Request, digest: str) -> httpx.Response:
        data = self.lie.get(digest, self.blobs.get(digest))
        if data is None:
            return httpx.Response(404, json={"errors": [{"code": "BLOB_UNKNOWN",
                                                         "message": "blob unknown"}]})
        if request.method == "HEAD":
            return httpx.Response(200, headers={"Content-Length": str(len(data))})
        status, start = 200, 0
        ranged = re.fullmatch(r"bytes=(\d+)-", request.headers.get("range", ""))
        if ranged and not self.no_ranges:
            status, start = 206, int(ranged.group(1))
        body = data[start:]
        headers = {"Content-Length": str(len(body))}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        cut = self.cut.pop(digest, None)
        return httpx.Response(status, headers=headers, content=_stream(body, cut))

    async def _upload(self, request: httpx.Request, repo: str, session: str) -> httpx.Response:
        if request.method == "POST":
            session = secrets.token_hex(4)
            self.uploads[session] = repo
            return httpx.Response(202, headers={
                "Location": f"/v2/{repo}/blobs/uploads/{session}?_state=x"})
        if request.method == "PUT" and session in self.uploads:
            body = await request.aread()
            digest = request.url.params.get("digest", "")
            if digest_of(body) != digest:
                return httpx.Response(400, json={"errors": [{"code": "DIGEST_INVALID",
                                                             "message": "digest invalid"}]})
            self.blobs[digest] = body
            return httpx.Response(201)
        return httpx.Response(404)


async def _stream(body: bytes, cut: int | None) -> AsyncIterator[bytes]:
    step = 1 << 16
    for offset in range(0, len(body), step):
        if cut is not None and offset >= cut:
            raise httpx.ReadError("connection reset by peer")
        await trio.lowlevel.checkpoint()  # a network yields between chunks
        yield body[offset:offset + step]
