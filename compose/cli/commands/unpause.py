"""``pycompose unpause``: thaw the services' paused containers."""

from __future__ import annotations

from compose.cli.commands.pause import pause
from compose.cli.invocation import Verbs, project_verb


def register(verbs: Verbs) -> None:
    project_verb(verbs, "unpause", "unpause services",
                 lambda ctx, project, services, args: pause(ctx, project, services, thaw=True))
