"""The error catalogue holds every code the source raises, emits or switches on, each
with the kind it is raised with, and nothing more; docs/errors.md is generated from it.

The source is read with ``ast`` (tests/error_scan.py), so a new ``code="..."`` anywhere
in src/caveat fails here until it is catalogued with its meaning.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from caveat.api.problems import EDGE_STATUS, STATUS, http_status
from caveat.cli.error_reference import markdown, reference
from caveat.cli.output import EXIT_BY_KIND, Exit
from caveat.client import _BY_STATUS, RemoteError
from caveat.domain.error_catalogue import ErrorCode, by_kind, lookup
from caveat.domain.errors import ErrorKind
from caveat.domain.permissions.rules import Code
from tests.error_scan import SRC, Scan, Scanner, Site

ROOT = Path(__file__).resolve().parents[2]


def _lifecycle_codes(scan: Scan) -> frozenset[str]:
    """The refusal codes the lifecycle tables declare (``Lifecycle(code=...)``)."""
    return frozenset(
        s.code for s in scan.sites if s.how == "declare" and s.holder in {"Lifecycle", "Refusal"}
    )


# Codes given as an expression the scanner cannot read, with the codes each can be.
KNOWN_DYNAMIC: dict[tuple[str, str], Callable[[Scan], frozenset[str]]] = {
    # The permission table's failure codes (a StrEnum in the domain).
    ("caveat/services/kernel/authorize.py", "failed.code.value"): lambda _: frozenset(
        c.value for c in Code
    ),
    # A refused lifecycle move raises the code its table gives for the verb and state.
    ("caveat/domain/lifecycle.py", "lifecycle.refusal_code(verb, current)"): _lifecycle_codes,
}

# Sites that raise a catalogued code with another kind than its entry: known
# inconsistencies, each to be resolved by giving the site its own code or kind. The test
# fails when one of them is fixed and still listed here.
KNOWN_KIND_EXCEPTIONS: dict[tuple[str, str], str] = {
    # An organisation named in a body field: refused as invalid input (422) here, while
    # looking one up by reference is not found (404).
    (
        "unknown_organisation",
        "caveat/services/artifacts/_catalogue.py",
    ): "organisation named in a field",
    (
        "unknown_organisation",
        "caveat/services/identity/_people.py",
    ): "organisation named in a field",
    (
        "unknown_organisation",
        "caveat/services/policy/_catalogue.py",
    ): "organisation named in a field",
    # "A release is a named person's decision, not the console's": a denial that shares
    # its code with "a placement names its person" (invalid input).
    (
        "person_required",
        "caveat/services/compliance/_releases.py",
    ): "console may not decide releases",
    # A refused upload move (appending to a completed upload) is a conflict (409) under
    # the lifecycle table's code, while an expired session is not found (404).
    ("upload_expired", "caveat/domain/lifecycle.py"): "refused upload move",
}


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner()


@pytest.fixture(scope="module")
def scan(scanner: Scanner) -> Scan:
    return scanner.scan()


def _path(site: Site) -> str:
    return site.where.rsplit(":", 1)[0]


def problems(scan: Scan, *, complete: bool = True) -> list[str]:
    """What is wrong between ``scan`` and the catalogue (all of src when ``complete``)."""
    found: list[str] = []
    sites = list(scan.sites)
    for loose in scan.unresolved:
        expand = KNOWN_DYNAMIC.get((loose.where.rsplit(":", 1)[0], loose.expr))
        if expand is None:
            found.append(f"{loose.where}: code {loose.expr} cannot be read from the source")
            continue
        sites += [Site(c, loose.where, "raise", loose.error, loose.kind) for c in expand(scan)]
    seen_exceptions: set[tuple[str, str]] = set()
    for site in sites:
        entry = lookup(site.code)
        if entry is None:
            found.append(f"{site.where}: {site.code!r} is not in the error catalogue")
            continue
        if site.kind is not None and site.kind is not entry.kind:
            key = (site.code, _path(site))
            if key in KNOWN_KIND_EXCEPTIONS:
                seen_exceptions.add(key)
            else:
                found.append(
                    f"{site.where}: {site.code!r} is raised as {site.error} ({site.kind.value}) "
                    f"but catalogued as {entry.kind.value}"
                )
        if site.how == "emit" and site.status is not None and site.status != http_status(entry):
            found.append(
                f"{site.where}: {site.code!r} is sent with HTTP {site.status} but its entry "
                f"gives {http_status(entry)}"
            )
    if complete:
        # A declared code counts once something raises it (through KNOWN_DYNAMIC).
        used = {s.code for s in sites if s.how not in ("compare", "declare")}
        found += [
            f"{code.value!r} is catalogued but nothing raises or emits it"
            for code in ErrorCode
            if code.value not in used
        ]
        found += [
            f"KNOWN_KIND_EXCEPTIONS lists {key}, which no longer differs: remove it"
            for key in KNOWN_KIND_EXCEPTIONS.keys() - seen_exceptions
            if (SRC.parent / key[1]).exists()
        ]
    return found


def test_every_code_in_the_source_is_catalogued_with_its_kind_and_used(scan: Scan) -> None:
    assert problems(scan) == []


def test_the_scanner_sees_the_kinds_of_raise_site(scan: Scan) -> None:
    # Enough of the source is found that an empty scan cannot pass for a clean one.
    assert len(scan.codes("raise")) > 150
    assert len(scan.codes("class")) > 40
    assert {"malformed_json", "method_not_allowed", "body_too_large"} <= scan.codes("emit")
    # Resolved indirections: a module constant, an f-string over a parameter, an enum.
    assert {"unknown_upload", "invalid_purpose", "invalid_ip_terms", "no_rule"} <= scan.codes()


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('raise NotFound("x", code="no_such_code_zz")', "'no_such_code_zz' is not in the error"),
        ('class Planted(InvalidInput):\n    code = "planted_zz"', "'planted_zz' is not in"),
        ('raise Conflict("x", code="invalid_marking")', "raised as Conflict (conflict)"),
        ("class Planted(Conflict):\n    kind = ErrorKind.NOT_FOUND", "'conflict' is raised as"),
        ('raise MarkingError("x", text="", position=0, code="not_found")', "(invalid) but"),
        ("raise NotFound('x', code=some_name)", "code some_name cannot be read"),
        ("raise NotFound('x', code=f'no_{thing}')", "cannot be read"),
        ('problem(404, "invalid_input", "x", request)', "sent with HTTP 404"),
        ('if exc.code == "no_such_code_zz":\n    pass', "'no_such_code_zz' is not in"),
        ('Refusal(code="no_such_code_zz")', "'no_such_code_zz' is not in"),
    ],
)
def test_a_planted_mistake_is_reported(scanner: Scanner, source: str, expected: str) -> None:
    found = problems(scanner.scan_source(source), complete=False)
    assert any(expected in line for line in found), found


def test_a_catalogue_entry_nothing_uses_is_reported(scanner: Scanner) -> None:
    found = problems(scanner.scan_source('raise NotFound("x", code="unknown_project")'))
    assert "'invalid_marking' is catalogued but nothing raises or emits it" in found
    assert not any("'unknown_project'" in line for line in found)


def test_each_entry_has_a_meaning_and_a_status_and_exit_code_from_its_kind() -> None:
    assert len(ErrorCode) == len({c.value for c in ErrorCode})
    for code in ErrorCode:
        assert code.value == code.name.lower()
        assert code.meaning[0].isupper(), code
        assert code.meaning.endswith("."), code
        ref = reference(code)
        assert ref.status == EDGE_STATUS.get(code, STATUS[code.kind])
    assert reference(ErrorCode.INVALID_MARKING).status == 422
    assert reference(ErrorCode.INVALID_MARKING).exit is Exit.USAGE
    assert reference(ErrorCode.UNKNOWN_PROJECT).exit is Exit.NOT_FOUND
    assert reference(ErrorCode.RANGE_NOT_SATISFIABLE).status == 416
    assert sum(len(codes) for codes in by_kind().values()) == len(ErrorCode)
    # The permission table's failure codes are denials, all of them catalogued.
    assert {c.value for c in Code} <= {c.value for c in by_kind()[ErrorKind.DENIED]}


def test_docs_errors_md_is_generated_from_the_catalogue() -> None:
    page = ROOT / "docs" / "errors.md"
    assert page.read_text(encoding="utf-8") == markdown(), "run `make errors-doc`"
    for code in ErrorCode:
        assert f"| `{code.value}` |" in markdown()
    checked = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "error_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_a_code_from_a_node_exits_the_cli_as_it_would_locally() -> None:
    # The Python client rebuilds a problem by its HTTP status (the CLI's remote commands).
    for code in ErrorCode:
        status = http_status(code)
        if status is None:
            continue
        rebuilt = _BY_STATUS.get(status, RemoteError).kind
        assert EXIT_BY_KIND[rebuilt] is EXIT_BY_KIND[code.kind], code
