"""What to build (``BuildRequest``), and what is read from the request before any
step runs: the Dockerfile (in the context, elsewhere, or inline), the platform
(only the host's can be built), the platform ARGs every build predefines, and the
``.dockerignore`` patterns.  Errors name the service.
"""

from __future__ import annotations

from pathlib import Path

from common.dockerignore import Pattern, parse_ignore
from common.errors import BuildError, ImageError
from common.images import BuildRequest
from runtime.build.context import read_ignore
from runtime.build.dockerfile import Dockerfile, parse
from runtime.images.documents import Platform, host_platform, parse_platform


def read_dockerfile(request: BuildRequest) -> Dockerfile:
    """The request's Dockerfile, parsed (a relative path is in the context)."""
    if request.dockerfile_inline is not None:
        return parse(request.dockerfile_inline, "dockerfile_inline")
    path = Path(request.dockerfile)
    if not path.is_absolute():
        path = request.context / path
    try:
        text = path.read_text()
    except (FileNotFoundError, NotADirectoryError):
        raise BuildError(f"service {request.label}: Dockerfile {path} not found") from None
    except OSError as exc:
        raise BuildError(f"service {request.label}: cannot read {path}: "
                         f"{exc.strerror}") from None
    try:
        return parse(text, str(path))
    except BuildError as exc:
        raise BuildError(f"service {request.label}: {exc}") from None


def build_platform(request: BuildRequest) -> Platform:
    """The host's platform, once every platform the request names is checked to be it."""
    host = host_platform()
    for text in request.platforms:
        try:
            wanted = parse_platform(text)
        except ImageError as exc:
            raise BuildError(f"service {request.label}: {exc}") from None
        if wanted != host:
            raise BuildError(f"service {request.label}: platform {wanted} cannot be "
                             f"built on this {host} host (only the host's platform is)")
    return host


def platform_args(platform: Platform) -> dict[str, str]:
    """``TARGETPLATFORM``, ``BUILDOS``...: the ARGs usable without a declaration."""
    host = host_platform()
    values = {}
    for prefix, p in (("TARGET", platform), ("BUILD", host)):
        values[f"{prefix}PLATFORM"] = str(p)
        values[f"{prefix}OS"] = p.os
        values[f"{prefix}ARCH"] = p.architecture
        values[f"{prefix}VARIANT"] = p.variant
    return values


def ignore_patterns(request: BuildRequest) -> list[Pattern]:
    """The ``.dockerignore`` (or ``<Dockerfile>.dockerignore``) patterns."""
    return parse_ignore(read_ignore(
        request.context, None if request.dockerfile_inline is not None
        else request.context / request.dockerfile))
