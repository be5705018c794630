"""Names and links instead of ids, where a person reads (the rule lives in
``caveat.services.readable``, shared with the API and so the CLI)."""

from __future__ import annotations

from caveat.services.readable import Named, Names, duration

__all__ = ["Named", "Names", "duration"]
