"""A systemd unit that brings a project up at boot, in dependency order, and stops
it at shutdown (pure text).

``up -d`` at boot is enough: the containers' records survive a reboot, their
networks are made again and the containers started from the same bundles; the
supervisor then takes over restarts and health checks.  ``stop`` at shutdown
keeps the containers, so boot finds them as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from common.errors import UsageError


@dataclass(frozen=True)
class UnitSpec:
    project: str
    working_dir: str
    config_files: Sequence[str]
    executable: Sequence[str]
    """How to run pycompose (absolute paths)."""
    environment: Mapping[str, str]
    """What pycompose itself reads: PYCOMPOSE_ROOT, COMPOSE_PROFILES..."""
    env_files: Sequence[str] = ()
    profiles: Sequence[str] = ()


def unit_name(project: str) -> str:
    return f"pycompose-{project}.service"


def _one_line(value: str) -> str:
    """A newline would start a directive of its own (``ExecStartPre=`` run as root
    at boot): a value with control characters is refused, not escaped."""
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise UsageError(f"cannot write a systemd unit for {value!r}: it holds a newline "
                         "or another control character")
    return value


def _quote(value: str) -> str:
    """A word for systemd's command lines and Environment= (C-style quoting)."""
    _one_line(value)
    if value and all(c.isalnum() or c in "/._-:=,@+" for c in value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def _setting(value: str) -> str:
    """A single-value setting (a path, a description): systemd takes the rest of the
    line as it is, quotes included, so only specifiers are escaped (systemd.unit(5))."""
    return _one_line(value).replace("%", "%%")


def _word(value: str) -> str:
    """A word of ``ExecStart=``: systemd expands ``$NAME`` there, even quoted."""
    return _quote(value).replace("$", "$$")


def unit_text(spec: UnitSpec) -> str:
    globals_ = ["-p", spec.project, "--project-directory", spec.working_dir]
    for path in spec.config_files:
        globals_ += ["-f", path]
    for path in spec.env_files:
        globals_ += ["--env-file", path]
    for profile in spec.profiles:
        globals_ += ["--profile", profile]

    def command(*verb: str) -> str:
        return " ".join(_word(w) for w in [*spec.executable, *globals_, *verb])

    environment = "".join(f"Environment={_quote(f'{k}={v}')}\n"
                          for k, v in sorted(spec.environment.items()))
    return (
        "# Written by pycompose systemd; run it again after changing the project.\n"
        "[Unit]\n"
        f"Description={_setting(f'pycompose project {spec.project} ({spec.working_dir})')}\n"
        "Wants=network-online.target\n"
        "After=network-online.target local-fs.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        f"WorkingDirectory={_setting(spec.working_dir)}\n"
        f"{environment}"
        f"ExecStart={command('up', '-d', '--remove-orphans')}\n"
        f"ExecStop={command('stop')}\n"
        "TimeoutStartSec=0\n"
        "TimeoutStopSec=180\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )
