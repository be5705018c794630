"""Tables of the tamper-evident ledger: tree nodes, checkpoints, cosignatures, alerts."""

from __future__ import annotations
