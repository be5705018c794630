"""`caveat audit ...`: the ledger from the command line."""

from __future__ import annotations

import typer

audit = typer.Typer(help="Verify and explore the tamper-evident ledger.", no_args_is_help=True)
