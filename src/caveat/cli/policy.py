"""`caveat label ...` and `caveat policy ...`: labels and decisions from the command line."""

from __future__ import annotations

import typer

labels = typer.Typer(help="Parse, render and normalise security labels.", no_args_is_help=True)
policy = typer.Typer(help="Explain decisions of the policy.", no_args_is_help=True)
