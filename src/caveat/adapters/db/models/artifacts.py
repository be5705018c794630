"""Tables of the encrypted artifact repository: artifacts, versions, labels, uploads."""

from __future__ import annotations
