"""Where each command acts, said in its `--help` (ADR 0029).

A remote command acts as the signed-in person through the server's API, with that
person's rights and under their name in the ledger; a console command opens the node's
data directory and acts as the node's console, for node operations only; a local command
needs no server (`caveat label` reads a node's own groups of nations when its data
directory is at hand, and acts on nothing). The root group tags every command and group
from ``MODES`` when it builds them, so no help text can forget to say it.
"""

from __future__ import annotations

from typing import Final

# Escaped for Rich markup (Typer renders help with it): "\[" prints a literal "[".
REMOTE: Final = "\\[remote: as the signed-in user]"
CONSOLE: Final = "\\[console: node data directory]"
LOCAL: Final = "\\[local: no server needed]"
MIXED: Final = "\\[mixed: each command says its mode]"

# Top-level name (or "group command" for a command of a mixed group) to its mode.
MODES: Final[dict[str, str]] = {
    # node operations: the console
    "init": CONSOLE,
    "serve": CONSOLE,
    "worker": CONSOLE,
    "db": CONSOLE,
    "keys": CONSOLE,
    "verify": CONSOLE,
    "backup": CONSOLE,
    "restore": CONSOLE,
    "demo": CONSOLE,
    "recover": CONSOLE,
    "mail": CONSOLE,
    # the signed-in person
    "login": REMOTE,
    "logout": REMOTE,
    "whoami": REMOTE,
    "passwd": REMOTE,
    "token": REMOTE,
    "put": REMOTE,
    "get": REMOTE,
    "ls": REMOTE,
    "search": REMOTE,
    "show": REMOTE,
    "relabel": REMOTE,
    "export-records": REMOTE,
    "user": REMOTE,
    "org": REMOTE,
    "group": REMOTE,
    "label": LOCAL,
    "policy": REMOTE,
    "programme": REMOTE,
    "agreement": REMOTE,
    "authorization": REMOTE,
    "screen": REMOTE,
    "embargo": REMOTE,
    "visit": REMOTE,
    "release": REMOTE,
    "control-list": REMOTE,
    "taxii": REMOTE,
    "intel": REMOTE,
    "proficiency": REMOTE,
    "discuss": REMOTE,
    "plan": REMOTE,
    "channel": REMOTE,
    "work": REMOTE,
    "notifications": REMOTE,
    "version": LOCAL,
    # mixed groups: the ledger's verification is the console's, its explorer the auditors'
    "audit": MIXED,
    "audit events": REMOTE,
    "audit activity": REMOTE,
    "audit history": REMOTE,
    "audit person": REMOTE,
    "audit csv": REMOTE,
    "audit alerts": REMOTE,
    "audit ack": REMOTE,
    "audit verify-bundle": LOCAL,
    # not yet moved to the API (ADR 0029 lists them): the console until they are
    "federation": MIXED,
    "federation re-release": REMOTE,
    "federation release": REMOTE,
    "federation open": REMOTE,
}

# The mode of a mixed group's commands that ``MODES`` does not name.
MIXED_REST: Final[dict[str, str]] = {"audit": CONSOLE, "federation": CONSOLE}


def mode_of(path: list[str]) -> str | None:
    """The mode of a command path below the root (["agreement", "create"]): its own entry,
    else its nearest group's (a mixed group's rest for the commands it does not name);
    None when nothing is recorded."""
    if (own := MODES.get(" ".join(path))) is not None:
        return own
    for end in range(len(path) - 1, 0, -1):
        group = " ".join(path[:end])
        found = MODES.get(group)
        if found == MIXED:
            return MIXED_REST.get(group)
        if found is not None:
            return found
    return None
