"""The in-memory fakes and the real backends implement every member of the engine's
Protocols with the same parameters, so the trio tests exercise the seam the real
backends sit behind (no test passes against a fake the engine could not use)."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from compose.cli.console import Output
from compose.engine import backends, context
from compose.supervisor.daemon import ProjectSupervisors
from compose.wiring import LocalHost
from network.driver import NetworkDriver
from runtime.image_backend import ImageService
from runtime.oci.containers import ContainerDriver
from tests.fakes import (
    FakeContainers,
    FakeImages,
    FakeNetworks,
    FakeSupervisors,
    FakeVolumes,
    RecordingOutput,
)
from volumes.driver import LocalVolumes


def members(protocol: type) -> dict[str, Any]:
    return {name: value for name, value in vars(protocol).items()
            if not name.startswith("_") and callable(value)}


def parameters(function: Any) -> list[str]:
    return [p.name for p in inspect.signature(function).parameters.values()
            if p.name != "self"]


CASES = [
    (backends.ContainerBackend, FakeContainers),
    (backends.ContainerBackend, ContainerDriver),
    (backends.NetworkBackend, FakeNetworks),
    (backends.NetworkBackend, NetworkDriver),
    (backends.VolumeBackend, FakeVolumes),
    (backends.VolumeBackend, LocalVolumes),
    (backends.Supervisors, FakeSupervisors),
    (backends.Supervisors, ProjectSupervisors),
    (backends.ImageBackend, FakeImages),
    (backends.ImageBackend, ImageService),
    (context.Reporter, RecordingOutput),
    (context.Reporter, Output),
    (context.Host, LocalHost),
]


@pytest.mark.parametrize(("protocol", "implementation"), CASES,
                         ids=[f"{p.__name__}-{i.__name__}" for p, i in CASES])
def test_implements_every_member_with_its_parameters(protocol: type,
                                                     implementation: type) -> None:
    for name, member in members(protocol).items():
        assert hasattr(implementation, name), f"{implementation.__name__} lacks {name}"
        theirs = parameters(getattr(implementation, name))
        wanted = parameters(member)
        assert theirs[:len(wanted)] == wanted, f"{implementation.__name__}.{name}"
        assert inspect.iscoroutinefunction(getattr(implementation, name)) == \
            inspect.iscoroutinefunction(member), f"{implementation.__name__}.{name}: async?"
