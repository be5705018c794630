"""The CLI against a real server: the node's API served by uvicorn on a loopback port,
`caveat` run in-process with a stored login as one person of a Scenario (issue 16: the
officers' and managers' commands act as the signed-in person, never as the console)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from caveat.cli.main import app
from tests.intel.support import serving
from tests.support import PASSWORD, Scenario

# Lines the server's logging may write into the captured output of an in-process run.
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


class RemoteCli:
    """`caveat ... --json` signed in to ``url`` as a person of ``world``."""

    def __init__(self, url: str, world: Scenario, config: Path, password: str) -> None:
        self.url, self.world, self.config, self.password = url, world, config, password
        self.tokens: dict[str, str] = {}
        config.mkdir(parents=True, exist_ok=True)

    def sign_in(self, who: str) -> None:
        """Store ``who``'s session as `caveat login` would (a fresh sign-in the first time)."""
        if who not in self.tokens:
            account = self.world.accounts[who]
            self.tokens[who] = self.world.login(account, password=self.password).token
        credentials = {"server": self.url, "username": who, "token": self.tokens[who]}
        (self.config / "credentials.json").write_text(json.dumps(credentials))

    def sign_out(self) -> None:
        (self.config / "credentials.json").unlink(missing_ok=True)

    def invoke(self, who: str | None, *args: str) -> Any:
        """The CliRunner result of `caveat ARGS` as ``who`` (None: nobody signed in)."""
        if who is None:
            self.sign_out()
        else:
            self.sign_in(who)
        return CliRunner().invoke(
            app, list(args), env={"CAVEAT_CONFIG_DIR": str(self.config), "COLUMNS": "250"}
        )

    def run(self, who: str | None, *args: str) -> tuple[int, Any]:
        """Exit code and the parsed --json output (the raw text if it is not JSON)."""
        result = self.invoke(who, *args, "--json")
        text = "\n".join(line for line in result.stdout.splitlines() if not LOG_LINE.match(line))
        try:
            return result.exit_code, json.loads(text)
        except ValueError:
            return result.exit_code, text

    def ok(self, who: str, *args: str) -> Any:
        code, out = self.run(who, *args)
        assert code == 0, out
        return out

    def error(self, who: str | None, expected_exit: int, *args: str) -> str:
        """The error code of a refused command that exited with ``expected_exit``."""
        code, out = self.run(who, *args)
        assert code == expected_exit, out
        return str(out["error"]["code"])


@contextmanager
def remote_cli(world: Scenario, tmp_path: Path, *, password: str = PASSWORD) -> Iterator[RemoteCli]:
    """A RemoteCli on ``world``'s node, served while the context is open."""
    # The CLI's console reads COLUMNS when it is first imported, which in a shared test
    # worker may be before this test: give it the width the tables need here.
    from caveat.cli import output

    width = output.out._width
    output.out._width = 250
    try:
        with serving(world.node) as url:
            yield RemoteCli(url, world, tmp_path / "config", password)
    finally:
        output.out._width = width
