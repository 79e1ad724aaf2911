"""Running ``nft -f`` scripts (``firewall.py`` writes them, purely): the project's
table on the host, and the DNS redirect inside a container's namespace."""

from __future__ import annotations

from pathlib import Path

import trio

from common.errors import NetworkFailure


async def apply_nft(script: str, needed: bool = True, netns: Path | None = None) -> None:
    """Run an ``nft -f`` script (in the namespace at ``netns``, if given); without nft,
    only a script that adds rules fails (so ``down`` still works where nft never was)."""
    inside = ["nsenter", f"--net={netns}", "--"] if netns is not None else []
    try:
        result = await trio.run_process([*inside, "nft", "-f", "-"], stdin=script.encode(),
                                        capture_stdout=True, capture_stderr=True, check=False)
    except FileNotFoundError:
        if not needed:
            return
        raise NetworkFailure("nft is not installed (Debian package nftables); pycompose needs "
                             "it to publish ports and let containers reach the outside") from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise NetworkFailure(f"nft refused the firewall rules: {message[0] if message else '?'}")
