"""What every command shares: the settings, and how to open the local node."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from caveat.domain.errors import AuthenticationFailed

if TYPE_CHECKING:
    from caveat.bootstrap.container import Node
    from caveat.bootstrap.settings import Settings


@dataclass
class CliState:
    """The --data-dir given, the settings it and CAVEAT_* variables resolve to, and the
    opened node. Settings are read when a command first needs them: reading them imports
    pydantic, which `caveat --help`, `version` and the remote commands do without."""

    data_dir: Path | None
    on_close: Callable[[Callable[[], None]], object]
    _settings: Settings | None = None
    _node: Node | None = None

    @property
    def settings(self) -> Settings:
        """Settings from --data-dir (when given) and CAVEAT_* variables."""
        if self._settings is None:
            from caveat.bootstrap.settings import Settings

            self._settings = (
                Settings() if self.data_dir is None else Settings(data_dir=self.data_dir)
            )
        return self._settings

    def open(self) -> Node:
        """The local node in the data directory (refuses a wrong schema); closed on exit."""
        if self._node is None:
            from caveat.bootstrap.container import open_node

            self._node = open_node(self.settings)
            self.on_close(self._node.close)
        return self._node


def state(ctx: typer.Context) -> CliState:
    """The CliState the root callback stored."""
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def config_dir() -> Path:
    """Where `caveat login` keeps the server URL and session token."""
    if explicit := os.environ.get("CAVEAT_CONFIG_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "caveat"


def save_credentials(server: str, username: str, token: str) -> Path:
    """Store the login with mode 0600 (created that way, never widened)."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "credentials.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"server": server, "username": username, "token": token}, handle)
    os.replace(tmp, path)
    return path


def load_credentials() -> dict[str, Any]:
    """The stored login; AuthenticationFailed with a hint if there is none."""
    path = config_dir() / "credentials.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise AuthenticationFailed(
            "not signed in to a Caveat server",
            code="not_logged_in",
            # Remote commands act with a person's rights: never the console's in their stead.
            hint="run `caveat login --server URL`; this command acts as the signed-in person, "
            "never as the node's console, whatever --data-dir says",
        ) from None
    return data


def forget_credentials() -> None:
    """Remove the stored login."""
    (config_dir() / "credentials.json").unlink(missing_ok=True)
