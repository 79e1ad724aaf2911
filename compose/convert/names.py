"""Kubernetes names from Compose names.

Compose allows ``_`` and ``.`` and upper case in service, volume, secret and alias
names; Kubernetes wants DNS labels (``[a-z0-9-]``, at most 63 characters, a letter
first for Services).  Names are changed the way kompose does (``_`` and ``.`` to
``-``), and every change is reported, since peers that use the old name must change.
"""

from __future__ import annotations

import hashlib
import re

_INVALID = re.compile(r"[^a-z0-9-]+")
MAX_LABEL = 63


def dns_label(name: str) -> str:
    """A DNS-1035 label for ``name``: lower case, ``-`` for anything else, a letter
    first, at most 63 characters (long names keep a hash of the original)."""
    label = _INVALID.sub("-", name.lower()).strip("-") or "x"
    if not label[0].isalpha():
        label = f"x-{label}"
    if len(label) > MAX_LABEL:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        label = f"{label[: MAX_LABEL - 9].rstrip('-')}-{digest}"
    return label


def child(base: str, suffix: str) -> str:
    """``<base>-<suffix>`` kept within a DNS label."""
    return dns_label(f"{base}-{suffix}")


def label_value(text: str) -> str:
    """A label value: at most 63 characters of ``[A-Za-z0-9_.-]``, alphanumeric at both ends."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:MAX_LABEL]
    return value.strip("-_.")


def config_key(path: str) -> str:
    """A ConfigMap or Secret data key for a file path: its base name, cleaned."""
    base = path.rstrip("/").rsplit("/", 1)[-1]
    key = re.sub(r"[^A-Za-z0-9_.-]+", "-", base).strip("-")
    return key or "file"


_QUALIFIED = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def annotation_key(key: str) -> bool:
    """Whether ``key`` is a valid annotation (qualified) name: ``[prefix/]name``."""
    prefix, _, _ = key.rpartition("/")
    return bool(_QUALIFIED.fullmatch(key)) and len(prefix) <= 253
