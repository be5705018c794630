"""The error catalogue as a reference: each code with its kind, HTTP status, exit code
and meaning, as ``docs/errors.md`` lists them.

Nothing here decides a status or an exit code: the kind does, through the one map of each
interface (``caveat.api.problems`` and ``caveat.cli.output``), and this module only reads
them, so the reference cannot drift from what the node and the CLI do.
"""

from __future__ import annotations

from dataclasses import dataclass

from caveat.api.problems import http_status
from caveat.cli.output import EXIT_BY_KIND, Exit
from caveat.domain.error_catalogue import ErrorCode, by_kind
from caveat.domain.errors import ErrorKind

KIND_TITLES = {
    ErrorKind.INVALID: "Invalid input: the caller can fix it",
    ErrorKind.TOO_LARGE: "Too large: the input is bigger than the node accepts",
    ErrorKind.NOT_FOUND: "Not found (or not to be revealed)",
    ErrorKind.CONFLICT: "Conflict: the change clashes with existing state",
    ErrorKind.UNAUTHENTICATED: "Unauthenticated: no valid credentials",
    ErrorKind.DENIED: "Denied: authenticated, but not allowed",
    ErrorKind.THROTTLED: "Throttled: too many failures for now",
    ErrorKind.UNAVAILABLE: "Unavailable: a dependency is down or missing",
    ErrorKind.INTEGRITY: "Integrity: stored data failed a check",
    ErrorKind.INTERNAL: "Internal: a failure without a more specific code",
}


@dataclass(frozen=True, slots=True)
class Reference:
    """What a client needs to know about one code."""

    code: ErrorCode
    kind: ErrorKind
    status: int | None  # None: the web framework's own status
    exit: Exit
    meaning: str


def reference(code: ErrorCode) -> Reference:
    """The kind, HTTP status, exit code and meaning of ``code``."""
    return Reference(code, code.kind, http_status(code), EXIT_BY_KIND[code.kind], code.meaning)


def markdown() -> str:
    """``docs/errors.md``: every code, grouped by kind."""
    lines = [
        "# Error codes",
        "",
        "<!-- Generated from src/caveat/domain/error_catalogue.py by `make errors-doc`"
        " (scripts/error_docs.py); do not edit by hand. -->",
        "",
        "Every error Caveat reports carries a stable `code`: the API puts it in the",
        "problem+json body (`code`, and `type` as `urn:caveat:error:<code>`), the CLI prints",
        "it after the message (and as `error.code` with `--json`), and the Python client",
        "raises the matching error with the same `code`. Programs switch on the code, never",
        "on the message. A code's *kind* decides the HTTP status and the CLI exit code; a",
        "few codes the HTTP layer answers with a status of its own. Exit codes: 0 ok,",
        "1 failure, 2 usage or invalid input, 3 denied, 4 not found, 5 conflict.",
        "",
        "An error may carry more: `field` (which input to fix), `hint` (what to do), and",
        "data such as `retry_after` (seconds, with 429), `failed` (the policy requirements",
        "that refused an access), `rule`, `position` and `path` (where a marking breaks a",
        "rule; the CLI and the web pages show the marking with a caret under that place).",
        "Integrity and internal failures say no more than their code to the client; the",
        "details are in the node's log under the `request_id`. A few codes arise only in",
        "the CLI or the client (`not_logged_in`, `server_unreachable`, `unreadable_file`);",
        "their HTTP column is the status of their kind.",
        "",
        f"{len(ErrorCode)} codes.",
    ]
    for kind, codes in by_kind().items():
        if not codes:
            continue
        lines += [
            "",
            f"## {KIND_TITLES[kind]}",
            "",
            "| Code | HTTP | Exit | Meaning |",
            "| --- | --- | --- | --- |",
        ]
        for code in codes:
            ref = reference(code)
            status = "framework's" if ref.status is None else str(ref.status)
            meaning = ref.meaning.replace("|", "\\|")
            lines.append(f"| `{code.value}` | {status} | {int(ref.exit)} | {meaning} |")
    return "\n".join(lines) + "\n"
