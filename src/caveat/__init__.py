"""Caveat: labelled, export-controlled, auditable research sharing between nations."""

__version__ = "0.1.0"
