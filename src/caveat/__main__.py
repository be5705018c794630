"""`python -m caveat` runs the command line."""

from caveat.cli.main import app

app()
