"""Caveat: labelled, export-controlled, auditable research sharing between nations."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _installed_version

try:  # the one place the version is written is pyproject.toml
    __version__ = _installed_version("caveat")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"
