"""The ledger: checkpoints, proofs, tiles, witnessing, audit explorer and alerts."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["ledger"])
