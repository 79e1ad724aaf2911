"""``pycompose start``: start the containers ``up`` created, dependencies first."""

from __future__ import annotations

from compose.cli.invocation import Verbs, project_verb
from compose.engine.startstop import start


def register(verbs: Verbs) -> None:
    project_verb(verbs, "start", "start existing containers",
                 lambda ctx, project, services, args: start(ctx, project, services))
