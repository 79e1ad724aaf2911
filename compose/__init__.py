"""pycompose's Compose layer: the file (spec), planning, the engine, the supervisor
and the CLI."""

__version__ = "0.1.0"
"""The one place the version is written (pyproject.toml reads it from here)."""
