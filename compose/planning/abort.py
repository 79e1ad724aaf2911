"""``up``'s abort flags (pure): ``--abort-on-container-exit``, ``--abort-on-container-
failure`` and ``--exit-code-from`` decide when the first exit stops everything, and
what ``up`` then returns (docker compose's: the named service's code, else the
code of the exit that aborted)."""

from __future__ import annotations

from typing import Protocol

from common.records import ContainerRecord


class AbortFlags(Protocol):
    """The three flags, as ``up``'s options carry them."""

    @property
    def abort_on_exit(self) -> bool: ...

    @property
    def abort_on_failure(self) -> bool: ...

    @property
    def exit_code_from(self) -> str | None: ...


class Abort:
    def __init__(self, options: AbortFlags) -> None:
        self.options = options
        self.aborting = False
        self.interrupted = False
        self.exit_code = 0

    def exited(self, record: ContainerRecord, code: int | None) -> bool:
        """Note an exit for good; True when it should stop every container."""
        options = self.options
        if self.interrupted:
            return False  # Ctrl-C: docker compose returns 0
        if options.exit_code_from is not None:
            if record.service == options.exit_code_from:
                self.exit_code = code if code is not None else 1
        elif not self.aborting and (options.abort_on_exit or
                                    (options.abort_on_failure and code != 0)):
            self.exit_code = code if code is not None else 1
        wants = options.abort_on_exit or options.exit_code_from is not None or \
            (options.abort_on_failure and code != 0)
        if self.aborting or not wants:
            return False
        self.aborting = True
        return True
