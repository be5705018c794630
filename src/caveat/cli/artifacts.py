"""`caveat put|get|ls|search|show|verify` and `caveat keys ...`."""

from __future__ import annotations

import typer

keys = typer.Typer(help="The node's key-encryption keys.", no_args_is_help=True)
