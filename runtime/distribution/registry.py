"""A client for the OCI distribution API (Docker Registry HTTP API v2), on httpx.

One ``Registry`` per host and command: it pings ``/v2/`` once to learn the scheme
and the auth challenge, then keeps one connection pool and one token per scope.

    ImageError                     every failure here, one line for the user
    ├── RegistryUnreachable        no connection, or transient errors that outlived the retries
    └── RegistryRefused            an HTTP error status with the registry's own message

Plain HTTP is used only for loopback hosts and registries the user marks insecure
(``PYCOMPOSE_INSECURE_REGISTRIES``), and then only after HTTPS failed, as Docker
does.  ``PYCOMPOSE_ALLOWED_REGISTRIES`` (host patterns) forbids every other host,
redirects and token servers included: the tests set it so nothing leaves loopback.
"""

from __future__ import annotations

import base64
import fnmatch
import ipaddress
import ssl
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import trio

from common.errors import ImageError, shorten
from runtime.distribution.challenge import Challenge, best_challenge, repository_scope
from runtime.distribution.credentials import Credentials
from runtime.images.documents import ACCEPT, MAX_MANIFEST, Descriptor
from runtime.images.ingest import Ingest
from runtime.images.store import sha256_digest

HUB_ENDPOINT = "registry-1.docker.io"
ATTEMPTS = 5
PING_ATTEMPTS = 3
"""Fewer for the first contact: a registry that refuses connections is usually down."""
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "pycompose/0.1"
_CHUNK = 1 << 20
READ_SIZE = 1 << 20


class RegistryUnreachable(ImageError):
    """The registry could not be reached, or kept failing transiently."""


class RegistryRefused(ImageError):
    """The registry answered with an error status."""

    def __init__(self, message: str, status: int, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class RegistryOptions:
    insecure: tuple[str, ...] = ()
    allowed: tuple[str, ...] | None = None
    """Host patterns pycompose may contact; None allows every host."""
    backoff: float = 0.5

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> RegistryOptions:
        def hosts(name: str) -> tuple[str, ...]:
            return tuple(h.strip() for h in environ.get(name, "").split(",") if h.strip())

        allowed = hosts("PYCOMPOSE_ALLOWED_REGISTRIES") if environ.get(
            "PYCOMPOSE_ALLOWED_REGISTRIES") is not None else None
        return cls(insecure=hosts("PYCOMPOSE_INSECURE_REGISTRIES"), allowed=allowed)

    def allows(self, host: str) -> bool:
        return self.allowed is None or any(fnmatch.fnmatchcase(host, p) for p in self.allowed)

    def is_insecure(self, host: str) -> bool:
        return is_loopback(host) or host in self.insecure or _hostname(host) in self.insecure


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(host: str) -> bool:
    name = _hostname(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def endpoint(registry: str) -> str:
    """The host to talk to: Docker Hub's API lives at registry-1.docker.io."""
    return HUB_ENDPOINT if registry == "docker.io" else registry


def retry_delay(attempt: int, base: float) -> float:
    """Exponential backoff: base, 2*base, 4*base... capped at 8 s."""
    return float(min(base * (2 ** attempt), 8.0))


def basic_auth(credentials: Credentials) -> str:
    token = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(token).decode()


def error_message(response_json: Any) -> tuple[str, str]:
    """The code and message of a distribution error body ``{"errors": [...]}``."""
    if isinstance(response_json, dict):
        errors = response_json.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("code", "")), str(first.get("message", "")).lower()
    return "", ""


class Registry:
    """One registry: ping, authenticate, fetch and push manifests and blobs."""

    def __init__(self, host: str, client: httpx.AsyncClient, base: str,
                 challenge: Challenge | None, credentials: Credentials | None,
                 options: RegistryOptions) -> None:
        self.host = host
        self.client = client
        self.base = base
        self.challenge = challenge
        self.credentials = credentials
        self.options = options
        self._tokens: dict[str, str] = {}
        self._token_locks: dict[str, trio.Lock] = {}

    # authentication

    async def authorization(self, scope: str) -> str | None:
        """The Authorization header for ``scope``, fetching a token if needed."""
        challenge = self.challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if self.credentials is None:
                raise RegistryRefused(f"{self.host}: authentication required "
                                      f"(run 'pycompose login {self.host}')", 401)
            return basic_auth(self.credentials)
        lock = self._token_locks.setdefault(scope, trio.Lock())
        async with lock:
            if scope not in self._tokens:
                self._tokens[scope] = await self._fetch_token(challenge, scope)
        return f"Bearer {self._tokens[scope]}"

    async def login(self) -> None:
        """Check the credentials now, as ``docker login`` does."""
        if self.challenge is None:
            return
        if self.challenge.scheme == "bearer":
            await self._fetch_token(self.challenge, "")
            return
        auth = await self.authorization("")
        try:
            response = await self.client.get(f"{self.base}/v2/", headers={
                "Authorization": auth or "", "User-Agent": USER_AGENT})
        except httpx.TransportError as exc:
            raise RegistryUnreachable(f"{self.host}: {exc or type(exc).__name__}") from None
        if response.status_code == 401:
            raise RegistryRefused(f"{self.host}: authentication failed: "
                                  "incorrect username or password", 401)
        await self._checked(response, f"{self.host}")

    async def _fetch_token(self, challenge: Challenge, scope: str) -> str:
        realm = challenge.params["realm"]
        params = {k: v for k, v in (("service", challenge.params.get("service")),
                                     ("scope", scope)) if v}
        creds = self.credentials
        try:
            if creds is not None and creds.identity_token:
                response = await self.client.post(realm, data={
                    "grant_type": "refresh_token", "refresh_token": creds.identity_token,
                    "client_id": "pycompose", **params})
            else:
                auth = httpx.BasicAuth(creds.username, creds.password) if creds else None
                response = await self.client.get(realm, params=params, auth=auth)
        except httpx.TransportError as exc:
            raise RegistryUnreachable(f"token server {realm}: {exc}") from None
        if response.status_code in (401, 403):
            raise RegistryRefused(f"{self.host}: authentication failed: "
                                  "incorrect username or password", response.status_code)
        if response.status_code != 200:
            raise RegistryRefused(f"token server {realm} answered {response.status_code}",
                                  response.status_code)
        try:
            body = response.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise RegistryRefused(f"token server {realm} sent no token", response.status_code)
        return token

    async def _send(self, method: str, url: str, scope: str, *,
                    headers: Mapping[str, str] | None = None, content: Any = None,
                    stream: bool = False) -> httpx.Response:
        """One request with auth; a 401 drops the cached token and retries once
        (tokens expire)."""
        for renewed in (False, True):
            all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
            auth = await self.authorization(scope)
            if auth:
                all_headers["Authorization"] = auth
            request = self.client.build_request(method, url, headers=all_headers,
                                                content=content() if callable(content)
                                                else content)
            try:
                response = await self.client.send(request, stream=stream)
            except httpx.TransportError as exc:
                raise RegistryUnreachable(f"{self.host}: {shorten(str(exc) or type(exc).__name__)}"
                                          ) from None
            if response.status_code != 401 or renewed:
                return response
            await response.aclose()
            challenge = best_challenge(response.headers.get_list("www-authenticate"))
            if challenge is None:
                break
            self.challenge = challenge
            self._tokens.pop(scope, None)
        hint = "" if self.credentials else f" (run 'pycompose login {self.host}')"
        raise RegistryRefused(f"{self.host}: unauthorized: authentication required{hint}", 401)

    async def _checked(self, response: httpx.Response, what: str,
                       ok: tuple[int, ...] = (200,)) -> httpx.Response:
        if response.status_code in ok:
            return response
        await response.aread()
        try:
            code, message = error_message(response.json())
        except ValueError:
            code, message = "", ""
        message = message or response.reason_phrase.lower() or "error"
        error: ImageError
        if response.status_code in TRANSIENT_STATUS:
            error = RegistryUnreachable(f"{what}: {response.status_code} {message}")
        else:
            error = RegistryRefused(f"{what}: {message}", response.status_code, code)
        raise error

    async def _retrying(self, operation: Callable[[], Any], what: str) -> Any:
        """Run ``operation`` until it succeeds, retrying transient failures."""
        for attempt in range(ATTEMPTS):
            try:
                return await operation()
            except RegistryUnreachable:
                if attempt == ATTEMPTS - 1:
                    raise
            await trio.sleep(retry_delay(attempt, self.options.backoff))
        raise AssertionError("unreachable")

    # manifests

    async def get_manifest(self, repository: str, reference: str,
                           expected: Descriptor | None = None) -> tuple[bytes, str, str]:
        """The manifest's bytes, media type and digest, verified against the digest
        when ``reference`` is one (or ``expected``)."""
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        what = f"{self.host}/{repository}:{reference}".replace(":sha256:", "@sha256:")

        async def get() -> tuple[bytes, str]:
            response = await self._send("GET", url, repository_scope(repository, "pull"),
                                        headers={"Accept": ", ".join(ACCEPT)}, stream=True)
            try:
                await self._checked(response, what)
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_MANIFEST:
                        raise ImageError(f"{what}: manifest larger than {MAX_MANIFEST} bytes")
                return body, response.headers.get("content-type", "")
            finally:
                await response.aclose()

        try:
            body, media = await self._retrying(get, what)
        except RegistryRefused as exc:
            if exc.status == 404 or exc.code in ("MANIFEST_UNKNOWN", "NAME_UNKNOWN"):
                raise RegistryRefused(f"{what}: not found (manifest unknown)", 404,
                                      exc.code) from None
            raise
        digest = sha256_digest(body)
        if reference.startswith("sha256:") and digest != reference:
            raise ImageError(f"{what}: manifest does not match its digest")
        if expected is not None and (digest, len(body)) != (expected.digest, expected.size):
            raise ImageError(f"{what}: manifest does not match its descriptor")
        return body, media, digest

    async def put_manifest(self, repository: str, reference: str, body: bytes,
                           media_type: str) -> None:
        url = f"{self.base}/v2/{repository}/manifests/{reference}"
        what = f"{self.host}/{repository}:{reference}"

        async def put() -> None:
            response = await self._send("PUT", url, repository_scope(repository, "pull", "push"),
                                        headers={"Content-Type": media_type}, content=body)
            await self._checked(response, f"pushing {what}", ok=(200, 201))

        await self._retrying(put, what)

    # blobs

    async def fetch_blob(self, repository: str, descriptor: Descriptor, ingest: Ingest,
                         progress: Callable[[int], None]) -> None:
        """Download into ``ingest`` (resuming from its offset, retrying transient
        failures from where they stopped) and commit it once verified."""
        url = f"{self.base}/v2/{repository}/blobs/{descriptor.digest}"
        what = f"{self.host}/{repository}@{descriptor.digest}"

        async def get() -> None:
            offset = resumed = ingest.offset
            headers = {"Accept-Encoding": "identity"}
            if 0 < offset < descriptor.size:
                headers["Range"] = f"bytes={offset}-"
            if offset < descriptor.size:
                response = await self._send("GET", url, repository_scope(repository, "pull"),
                                            headers=headers, stream=True)
                try:
                    await self._checked(response, what, ok=(200, 206))
                    if response.status_code == 200 and offset:
                        ingest.restart()
                    elif response.status_code == 206 and not response.headers.get(
                            "content-range", "").startswith(f"bytes {offset}-"):
                        ingest.restart()
                        raise RegistryUnreachable(f"{what}: unexpected Content-Range")
                    try:
                        async for chunk in response.aiter_raw():  # as received: a broken
                            # stream keeps every byte it delivered, for the resume
                            ingest.write(chunk)
                            progress(ingest.offset)
                    except httpx.TransportError as exc:
                        raise RegistryUnreachable(f"{what}: {exc or type(exc).__name__}"
                                                  ) from None
                finally:
                    await response.aclose()
            try:
                await trio.to_thread.run_sync(ingest.commit)
            except ImageError:
                if not resumed:
                    raise
                # What an earlier, interrupted pull left may be bad: start again.
                raise RegistryUnreachable(f"{what}: resumed download failed verification"
                                          ) from None

        await self._retrying(get, what)

    async def blob_exists(self, repository: str, digest: str) -> bool:
        url = f"{self.base}/v2/{repository}/blobs/{digest}"

        async def head() -> bool:
            response = await self._send("HEAD", url, repository_scope(repository, "pull", "push"))
            if response.status_code == 404:
                return False
            await self._checked(response, f"{self.host}/{repository}@{digest}")
            return True

        return bool(await self._retrying(head, digest))

    async def upload_blob(self, repository: str, descriptor: Descriptor, path: str | bytes,
                          progress: Callable[[int], None]) -> None:
        """A monolithic upload: POST for a session, then PUT the whole blob (read
        from the file ``path``, or ``path`` itself when it is bytes)."""
        scope = repository_scope(repository, "pull", "push")
        what = f"pushing {self.host}/{repository}@{descriptor.digest}"

        async def upload() -> None:
            response = await self._send("POST", f"{self.base}/v2/{repository}/blobs/uploads/",
                                        scope)
            await self._checked(response, what, ok=(202,))
            location = response.headers.get("location")
            if not location:
                raise RegistryRefused(f"{what}: no upload location", response.status_code)
            target = httpx.URL(f"{self.base}/").join(location)
            target = target.copy_merge_params({"digest": descriptor.digest})

            async def body() -> AsyncIterator[bytes]:
                if isinstance(path, bytes):
                    progress(len(path))
                    yield path
                    return
                sent = 0
                with open(path, "rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        sent += len(chunk)
                        progress(sent)
                        yield chunk

            response = await self._send("PUT", str(target), scope, content=body, headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(descriptor.size)})
            await self._checked(response, what, ok=(201, 204))

        await self._retrying(upload, what)


@asynccontextmanager
async def open_registry(registry: str, credentials: Credentials | None,
                        options: RegistryOptions,
                        transport: httpx.AsyncBaseTransport | None = None,
                        ) -> AsyncIterator[Registry]:
    """Connect to ``registry`` (a reference's registry part) and learn how to
    authenticate; plain HTTP only for an insecure host whose HTTPS failed."""
    host = endpoint(registry)
    if not options.allows(host):
        raise ImageError(f"registry {host} is not allowed by PYCOMPOSE_ALLOWED_REGISTRIES")
    insecure = options.is_insecure(host)
    _large_reads()

    async def guard(request: httpx.Request) -> None:
        target = request.url.netloc.decode()
        if not options.allows(target) and not options.allows(request.url.host):
            raise ImageError(f"{host}: refusing to contact {target} "
                             "(not allowed by PYCOMPOSE_ALLOWED_REGISTRIES)")

    client = httpx.AsyncClient(
        transport=transport, verify=_ssl_context(insecure),
        timeout=httpx.Timeout(30.0, read=120.0), follow_redirects=True,
        event_hooks={"request": [guard]}, trust_env=not is_loopback(host),
        limits=httpx.Limits(max_connections=16, max_keepalive_connections=16))
    async with client:
        base, challenge = await _ping(client, host, insecure, options)
        yield Registry(host, client, base, challenge, credentials, options)


def _ssl_context(insecure: bool) -> ssl.SSLContext | bool:
    """Verified TLS; for an insecure registry, TLS without verification (and no CA
    bundle to load, which costs 30 ms)."""
    if not insecure:
        return True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _large_reads() -> None:
    """httpcore receives at most 64 KiB per read; layers are megabytes, and 1 MiB
    reads make a loopback pull about 1.5 times faster (bench/pull.py).  It is a
    class constant of httpcore's HTTP/1.1 connection with no public setting."""
    from httpcore._async.http11 import AsyncHTTP11Connection

    AsyncHTTP11Connection.READ_NUM_BYTES = max(AsyncHTTP11Connection.READ_NUM_BYTES, READ_SIZE)


async def _ping(client: httpx.AsyncClient, host: str, insecure: bool,
                options: RegistryOptions) -> tuple[str, Challenge | None]:
    schemes = ("https", "http") if insecure else ("https",)
    last: Exception | None = None
    for attempt in range(PING_ATTEMPTS):
        for scheme in schemes:
            try:
                response = await client.get(f"{scheme}://{host}/v2/",
                                            headers={"User-Agent": USER_AGENT})
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                last = exc
                continue
            except httpx.TransportError as exc:
                last = exc
                break
            if response.status_code in TRANSIENT_STATUS:
                last = RegistryUnreachable(f"{host}: {response.status_code}")
                break
            if response.status_code == 401:
                challenge = best_challenge(response.headers.get_list("www-authenticate"))
                if challenge is None:
                    raise RegistryRefused(f"{host}: 401 without an authentication challenge", 401)
                return f"{scheme}://{host}", challenge
            if response.status_code == 200:
                return f"{scheme}://{host}", None
            raise RegistryRefused(f"{host}: /v2/ answered {response.status_code}: "
                                  "not a registry", response.status_code)
        if attempt < PING_ATTEMPTS - 1:
            await trio.sleep(retry_delay(attempt, options.backoff))
    hint = "" if insecure else (" (a plain-HTTP registry must be listed in "
                                "PYCOMPOSE_INSECURE_REGISTRIES)")
    detail = shorten(str(last) or type(last).__name__) if last else "no answer"
    raise RegistryUnreachable(f"cannot reach registry {host}: {detail}{hint}")
