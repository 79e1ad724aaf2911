"""Session-wide safety for every test: pycompose may contact registries on loopback
only (``PYCOMPOSE_ALLOWED_REGISTRIES``), so a test naming an image that is not in
its store (``image: nosuch:1``) can never send a pull to Docker Hub.  The variable
is set in this process's environment, which every test's pycompose inherits."""

from __future__ import annotations

import os

LOOPBACK_REGISTRIES = "127.0.0.1,127.0.0.1:*,localhost,localhost:*,[::1],[::1]:*"

os.environ["PYCOMPOSE_ALLOWED_REGISTRIES"] = LOOPBACK_REGISTRIES
