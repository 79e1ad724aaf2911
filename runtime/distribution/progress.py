"""Helpers for transfer progress; the ``Transfer`` events themselves are
``common.progress`` data, which the CLI renders."""

from __future__ import annotations

from common.progress import Transfer


def ignore(_: Transfer) -> None:
    """A reporter that shows nothing."""


def short_id(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]
