"""Docker's rule for a container's command line, shared by the OCI spec (what
runs) and ``inspect`` (what ``Config.Entrypoint`` and ``Config.Cmd`` say).

moby's ``merge``: with no service entrypoint (unset or empty), an empty or unset
command takes the image's Cmd, and an unset entrypoint takes the image's
Entrypoint; a service entrypoint drops the image's Cmd.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def merged(entrypoint: Sequence[str] | None, command: Sequence[str] | None,
           image_config: Mapping[str, Any]) -> tuple[list[str] | None, list[str] | None]:
    """``(Entrypoint, Cmd)`` as the container's config has them (None: unset)."""
    if not entrypoint:
        if not command:
            command = image_config.get("Cmd") or None
        if entrypoint is None:
            entrypoint = image_config.get("Entrypoint") or None
    return ([str(a) for a in entrypoint] if entrypoint else None,
            [str(a) for a in command] if command else None)


def command_line(entrypoint: Sequence[str] | None, command: Sequence[str] | None,
                 image_config: Mapping[str, Any]) -> tuple[str, ...]:
    """What the container runs (its init aside); empty when nothing says."""
    first, rest = merged(entrypoint, command, image_config)
    return (*(first or ()), *(rest or ()))
