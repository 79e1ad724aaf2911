"""Service profiles: which services of the merged model are enabled.

As in compose-go, a service without ``profiles`` is always enabled, one with
profiles only if one of them is active (``*`` activates all).  The active
profiles are ``--profile`` flags, else ``COMPOSE_PROFILES`` (comma-separated, from
the environment or ``.env``).  A disabled service named on the command line adds
its profiles (docker compose's ``WithServicesEnabled``).  Disabled services are
dropped; a dependency on one is then an undefined-service error, as it is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def active(given: Sequence[str], environ: Mapping[str, str]) -> set[str]:
    if given:
        return set(given)
    return {p.strip() for p in environ.get("COMPOSE_PROFILES", "").split(",")}


def service_profiles(service: Any) -> list[str]:
    raw = service.get("profiles") if isinstance(service, dict) else None
    return [str(p) for p in raw] if isinstance(raw, list) else []


def enabled(service: Any, profiles: set[str]) -> bool:
    own = service_profiles(service)
    return not own or "*" in profiles or any(p in profiles for p in own)


def apply(data: dict[str, Any], given: Sequence[str], named: Iterable[str],
          environ: Mapping[str, str]) -> dict[str, Any]:
    """``data`` without the services no active profile enables."""
    services = data.get("services")
    if not isinstance(services, dict):
        return data
    profiles = active(given, environ)
    for name in named:
        if name in services and not enabled(services[name], profiles):
            profiles |= set(service_profiles(services[name]))
    kept = {name: s for name, s in services.items() if enabled(s, profiles)}
    return data if len(kept) == len(services) else {**data, "services": kept}


def all_profiles(data: Mapping[str, Any]) -> list[str]:
    """Every profile any service declares, sorted (``config --profiles``)."""
    services = data.get("services")
    found = {p for s in (services.values() if isinstance(services, dict) else ())
             for p in service_profiles(s)}
    return sorted(found)
