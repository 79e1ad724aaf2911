"""Where pycompose keeps things.

Persistent state lives under the state root (``/var/lib/pycompose``, or
``PYCOMPOSE_ROOT``); what dies with a reboot (runc state, conmon exit files,
network namespace mounts, locks) lives under a runtime directory.  A root other
than the default gets its own runtime directory, named from a hash of the root,
so two roots never share state or kernel object names on one host.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = "/var/lib/pycompose"
DEFAULT_RUN = "/run/pycompose"
PRIVATE = 0o700
"""The mode of the state root, the runtime directory and the root's top-level
directories: they hold secrets, logs, environments and control sockets."""


RUNTIME_CHOICE = Path(f"{DEFAULT_RUN}.runtime")
"""Which OCI runtime works on this host, probed once per boot: a fact of the host,
so one file for every state root (a root's runtime directory goes with its last
container and leaves nothing behind)."""


@dataclass(frozen=True)
class Layout:
    """Where a state root keeps things: ``root`` on disk (images, layers, containers,
    volumes, kept across boots) and ``run`` under /run (locks, sockets, runc's
    state: gone at a reboot, like the containers)."""

    root: Path
    run: Path
    runtime_choice: Path = RUNTIME_CHOICE

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Layout:
        env = os.environ if environ is None else environ
        root = Path(env.get("PYCOMPOSE_ROOT") or DEFAULT_ROOT).absolute()
        if str(root) == DEFAULT_ROOT:
            return cls(root, Path(DEFAULT_RUN))
        return cls(root, Path(f"{DEFAULT_RUN}-{root_tag(root)}"))

    @property
    def tag(self) -> str:
        """A short hex tag unique to this root, used in kernel object names."""
        return root_tag(self.root)

    # persistent
    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def layers(self) -> Path:
        return self.root / "layers"

    @property
    def containers(self) -> Path:
        return self.root / "containers"

    @property
    def projects(self) -> Path:
        return self.root / "projects"

    @property
    def volumes(self) -> Path:
        return self.root / "volumes"

    @property
    def load_cache(self) -> Path:
        """What project verbs keep of their Compose files (``compose/spec/loadcache.py``)."""
        return self.root / "cache" / "loads"

    def container_dir(self, container_id: str) -> Path:
        return self.containers / container_id

    def project_file(self, project: str) -> Path:
        return self.projects / project / "project.json"

    # runtime
    @property
    def runc_root(self) -> Path:
        return self.run / "runc"

    @property
    def exits(self) -> Path:
        return self.run / "exits"

    @property
    def sockets(self) -> Path:
        return self.run / "sockets"

    @property
    def netns(self) -> Path:
        return self.run / "netns"

    def lock_file(self, name: str) -> Path:
        return self.run / "locks" / f"{name}.lock"

    def make_private(self) -> None:
        """Create the state root and the runtime directory mode 0700, or tighten
        them to it (a root made beforehand by hand), and the root's top-level
        directories found looser (made by an older version): nobody but root reads
        or writes pycompose's state, as Docker keeps ``/var/lib/docker``.  What
        lies below needs no mode of its own to stay out of others' reach, so the
        others are not made here (a command that fails early leaves none)."""
        for directory in (self.root, self.run):
            directory.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
            _tighten(directory)
        for directory in (self.images, self.layers, self.containers, self.projects,
                          self.volumes):
            with contextlib.suppress(FileNotFoundError):
                _tighten(directory)


def _tighten(directory: Path) -> None:
    if os.stat(directory).st_mode & 0o7777 != PRIVATE:
        os.chmod(directory, PRIVATE)


def root_tag(root: Path) -> str:
    try:  # hashlib's own SHA-256 without hashlib, whose import loads OpenSSL (start-up time)
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # another interpreter's layout of it
        from hashlib import sha256

    digest: str = sha256(str(root).encode()).hexdigest()
    return digest[:6]


def working_directory(environ: Mapping[str, str]) -> str:
    """The current directory as the shell gave it: ``$PWD`` when it names this
    directory (through symlinks, unresolved), else the kernel's resolved path, as
    Go's ``os.Getwd`` does (docker compose prints project paths this way)."""
    pwd = environ.get("PWD", "")
    if pwd.startswith("/"):
        try:
            if os.path.samefile(pwd, "."):
                return pwd
        except OSError:
            pass
    return os.getcwd()
