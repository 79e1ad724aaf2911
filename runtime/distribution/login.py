"""``login`` and ``logout``: credentials checked against a registry and kept in
Docker's client config, where pulls, pushes (and docker) find them."""

from __future__ import annotations

from collections.abc import Mapping

import trio

from runtime.distribution import credentials
from runtime.distribution.credentials import Credentials
from runtime.distribution.registry import RegistryOptions, open_registry
from runtime.images.reference import DEFAULT_REGISTRY


def server_host(server: str | None) -> str:
    """``docker login``'s SERVER: a host, maybe written as a URL; Docker Hub by default."""
    if not server:
        return DEFAULT_REGISTRY
    host = server.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    return DEFAULT_REGISTRY if host in ("index.docker.io", "registry-1.docker.io") else host


async def _check(host: str, creds: Credentials, environ: Mapping[str, str]) -> None:
    async with open_registry(host, creds, RegistryOptions.from_environ(environ)) as registry:
        await registry.login()


def login(server: str | None, username: str, password: str,
          environ: Mapping[str, str]) -> tuple[str, str]:
    """The registry's host, and where its credentials were saved."""
    host = server_host(server)
    creds = Credentials(username, password)
    trio.run(_check, host, creds, environ)
    return host, str(credentials.store(host, creds, environ))


def logout(server: str | None, environ: Mapping[str, str]) -> tuple[str, bool]:
    """The registry's host, and whether it had credentials to forget."""
    host = server_host(server)
    return host, credentials.erase(host, environ)
