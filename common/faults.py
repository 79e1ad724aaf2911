"""Fault injection, for the tests that prove a crash or a failure at any step of a
command leaves a state the next command repairs.

``PYCOMPOSE_FAULT=fail@N`` makes the command's Nth step (a runtime, network or
volume operation, or an atomic state write) fail as the runtime would refuse it;
``kill@N`` SIGKILLs the command there instead; ``count`` only counts them and says
how many there were on standard error as the command exits (``fault steps: N``).
The composition root arms it in the command's process only: supervisors never
inherit it.  Unarmed (always, outside tests) a step costs one global lookup.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from common.errors import RuntimeFailure

VARIABLE = "PYCOMPOSE_FAULT"


class InjectedFault(RuntimeFailure):
    """The failure ``fail@N`` asked for."""


@dataclass
class _Plan:
    """The armed fault: what to do at the ``at``-th step, and the steps seen so far."""

    action: str  # "fail" | "kill"
    at: int
    seen: int = 0


_plan: _Plan | None = None


def arm(environ: Mapping[str, str]) -> None:
    """Read ``PYCOMPOSE_FAULT`` (``fail@N`` or ``kill@N``, N from 1); a malformed
    value is ignored: this is a test hook, not a user's option."""
    global _plan
    action, _, number = environ.get(VARIABLE, "").partition("@")
    if action in ("fail", "kill") and number.isdigit() and int(number) > 0:
        _plan = _Plan(action, int(number))
    elif action == "count":
        _plan = _Plan(action, 0)
        atexit.register(_say_count, _plan)


def _say_count(plan: _Plan) -> None:
    print(f"fault steps: {plan.seen}", file=sys.stderr, flush=True)


def disarm() -> None:
    global _plan
    _plan = None


def step(what: str) -> None:
    """One step of the command; the armed one fails or kills here."""
    plan = _plan
    if plan is None:
        return
    plan.seen += 1
    if plan.seen != plan.at:
        return
    if plan.action == "kill":
        import signal  # here: its enums are 1 ms of the start of every command

        os.kill(os.getpid(), signal.SIGKILL)
    raise InjectedFault(f"injected fault at step {plan.at}: {what}")
