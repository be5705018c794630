"""Export-control classification: control entries under named regimes, kept apart from the label.

Syntax per regime (see docs DOMAIN.md, "Export control"):

- ITAR: USML category I-XXI with paragraphs, ``ITAR:USML-XI(c)(1)`` (22 CFR 121.1).
- EAR: ECCN, category 0-9, product group A-E, three digits, paragraphs:
  ``EAR:3A001.a.1``, ``EAR:9A610.x``; or ``EAR:EAR99`` (subject to the EAR, not listed).
- WA: Wassenaar Munitions List ``WA:ML1``-``WA:ML22`` or dual-use ``WA:1A001.a``.
- MTCR: Annex item ``MTCR:2.A.1`` (items 1-2 are Category I, 3-20 Category II).
- EU: Regulation (EU) 2021/821 Annex I, dual-use numbering, ``EU:5A002.a``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from caveat.domain.canonical_json import canonical_json
from caveat.domain.control_lists import CatalogueError, describe_entry, heading_titles
from caveat.domain.errors import InvalidInput

EXPORT_VERSION = "caveat.export/1"


class Regime(StrEnum):
    """The control regimes Caveat can record."""

    ITAR = "ITAR"
    EAR = "EAR"
    WA = "WA"
    MTCR = "MTCR"
    EU = "EU"


# Who administers each regime: a nation, the EU, or "*" for a multilateral list.
JURISDICTION: dict[Regime, str] = {
    Regime.ITAR: "USA",
    Regime.EAR: "USA",
    Regime.WA: "*",
    Regime.MTCR: "*",
    Regime.EU: "EU",
}
EXAMPLE: dict[Regime, str] = {
    Regime.ITAR: "ITAR:USML-XI(c)(1)",
    Regime.EAR: "EAR:3A001.a.1, EAR:9A610.x or EAR:EAR99",
    Regime.WA: "WA:ML11 or WA:1A001.a",
    Regime.MTCR: "MTCR:2.A.1",
    Regime.EU: "EU:5A002.a",
}

_USML = re.compile(r"^([IVX]+)((\([a-z]{1,2}\))(\(\d{1,2}\))?(\([ivx]{1,5}\))?(\([A-Z]\))?)?$")
# Paragraphs alternate letter, number, letter, number ... below the five-character entry.
_PARAGRAPHS = r"(\.[a-z]{1,2}(\.\d{1,2}(\.[a-z](\.\d{1,2}(\.[a-z])?)?)?)?)?"
_ECCN = re.compile(r"^[0-9][A-E]\d{3}" + _PARAGRAPHS + "$")
_WA_DUAL_USE = re.compile(r"^[1-9][A-E]\d{3}" + _PARAGRAPHS + "$")
_WA_MUNITIONS = re.compile(r"^ML(\d{1,2})(\.[a-z](\.\d{1,2}(\.[a-z])?)?)?$")
_MTCR = re.compile(r"^(\d{1,2})\.[A-E]\.\d{1,2}(\.[a-z](\.\d{1,2})?)?$")


class ControlEntryError(InvalidInput):
    """Raised when a control entry does not follow its regime's numbering."""

    code = "invalid_control_entry"


def _fail(regime: Regime | None, text: str, why: str) -> ControlEntryError:
    hint = (
        "write REGIME:CODE, for example " + "; ".join(EXAMPLE.values())
        if regime is None
        else f"for example {EXAMPLE[regime]}"
    )
    return ControlEntryError(f"{text!r}: {why}", field="control_entry", hint=hint)


def _check_code(regime: Regime, code: str) -> None:
    """The shape of a code; which numbers exist is the catalogue's (control_lists)."""
    if regime is Regime.ITAR:
        if not _USML.match(code):
            raise _fail(regime, code, "not a USML category I-XXI with paragraphs")
    elif regime is Regime.EAR:
        if code != "EAR99" and not _ECCN.match(code):
            raise _fail(regime, code, "not an ECCN (digit, group A-E, three digits) or EAR99")
    elif regime is Regime.WA:
        if not (_WA_MUNITIONS.match(code) or _WA_DUAL_USE.match(code)):
            raise _fail(regime, code, "not an ML entry or a dual-use entry (category 1-9)")
    elif regime is Regime.MTCR:
        if not _MTCR.match(code):
            raise _fail(regime, code, "not an MTCR Annex item 1-20 such as 2.A.1")
    elif not _ECCN.match(code):
        raise _fail(regime, code, "not an Annex I entry (digit, group A-E, three digits)")


@dataclass(frozen=True, slots=True, order=True)
class ControlEntry:
    """One entry on a control list: regime, the jurisdiction behind it, and its code."""

    regime: Regime
    jurisdiction: str
    code: str

    def __post_init__(self) -> None:
        if self.jurisdiction != JURISDICTION[self.regime]:
            raise _fail(
                self.regime,
                f"{self.regime}/{self.jurisdiction}",
                f"{self.regime} is administered by {JURISDICTION[self.regime]}",
            )
        _check_code(self.regime, self.code)
        try:  # on its list, not only well formed
            describe_entry(self.regime.value, self.code)
        except CatalogueError as exc:
            raise ControlEntryError(
                exc.detail,
                field="control_entry",
                hint=f"for example {EXAMPLE[self.regime]}; see `caveat control-list`",
            ) from None

    @property
    def mtcr_category(self) -> int | None:
        """1 for MTCR Category I items (1-2), 2 for Category II (3-20), else None."""
        return describe_entry(self.regime.value, self.code).mtcr_category


def control_entry(regime: Regime | str, code: str) -> ControlEntry:
    """A checked entry, with the jurisdiction that administers ``regime``."""
    kind = Regime(regime)
    return ControlEntry(kind, JURISDICTION[kind], code)


def parse_control_entry(text: str) -> ControlEntry:
    """Parse ``ITAR:USML-XI(c)(1)``, ``EAR:3A001.a.1``, ``WA:ML11`` and the like."""
    prefix, sep, code = text.partition(":")
    if not sep:
        raise _fail(None, text, "missing the REGIME: prefix")
    try:
        regime = Regime(prefix)
    except ValueError:
        raise _fail(None, text, f"unknown regime {prefix!r}") from None
    if regime is Regime.ITAR:
        if not code.startswith("USML-"):
            raise _fail(regime, text, "ITAR entries name the USML: USML-<category>")
        code = code[len("USML-") :]
    return control_entry(regime, code)


def render_control_entry(entry: ControlEntry) -> str:
    """The ``REGIME:CODE`` text of an entry (the inverse of parse_control_entry)."""
    code = f"USML-{entry.code}" if entry.regime is Regime.ITAR else entry.code
    return f"{entry.regime}:{code}"


@dataclass(frozen=True, slots=True)
class ExportClassification:
    """The control entries that apply to an artifact and whether it is dual-use.

    Entries are kept sorted and unique so equal classifications compare equal.
    """

    entries: tuple[ControlEntry, ...] = ()
    dual_use: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", tuple(sorted(set(self.entries))))

    def regimes(self) -> frozenset[Regime]:
        """The regimes with at least one entry."""
        return frozenset(e.regime for e in self.entries)


def parse_export_classification(
    texts: Iterable[str], *, dual_use: bool = False
) -> ExportClassification:
    """An export classification from entry strings such as ``EAR:3A001.a.1``."""
    return ExportClassification(tuple(parse_control_entry(t) for t in texts), dual_use)


def render_export_classification(classification: ExportClassification) -> list[str]:
    """The entry strings of ``classification``, in canonical order."""
    return [render_control_entry(e) for e in classification.entries]


def union(*classifications: ExportClassification) -> ExportClassification:
    """Roll-up: every entry of every part; dual-use when any part is."""
    entries = [e for c in classifications for e in c.entries]
    return ExportClassification(tuple(entries), any(c.dual_use for c in classifications))


def export_to_canonical_json(classification: ExportClassification) -> bytes:
    """The RFC 8785 canonical bytes of ``classification``, version-marked."""
    document: dict[str, Any] = {
        "version": EXPORT_VERSION,
        "dual_use": classification.dual_use,
        "entries": [
            {"regime": e.regime.value, "jurisdiction": e.jurisdiction, "code": e.code}
            for e in classification.entries
        ],
    }
    return canonical_json(document)


def _bad_json(why: str) -> ControlEntryError:
    return ControlEntryError(
        f"canonical export classification: {why}", hint=f"expected a {EXPORT_VERSION} object"
    )


def _entry_from(raw: Any) -> ControlEntry:
    if not isinstance(raw, dict) or set(raw) != {"regime", "jurisdiction", "code"}:
        raise _bad_json("an entry needs exactly regime, jurisdiction and code")
    try:
        regime = Regime(raw["regime"])
    except ValueError:
        raise _bad_json(f"unknown regime {raw['regime']!r}") from None
    if not isinstance(raw["code"], str) or not isinstance(raw["jurisdiction"], str):
        raise _bad_json("code and jurisdiction must be strings")
    return ControlEntry(regime, raw["jurisdiction"], raw["code"])


def export_from_canonical_json(data: bytes) -> ExportClassification:
    """Parse canonical bytes back; non-canonical or unknown input is an error."""
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad_json("not UTF-8 JSON") from None
    if not isinstance(raw, dict) or set(raw) != {"version", "dual_use", "entries"}:
        raise _bad_json("needs exactly version, dual_use and entries")
    if raw["version"] != EXPORT_VERSION:
        raise _bad_json(f"unsupported version {raw['version']!r}")
    if not isinstance(raw["dual_use"], bool) or not isinstance(raw["entries"], list):
        raise _bad_json("dual_use must be a boolean and entries a list")
    result = ExportClassification(tuple(_entry_from(e) for e in raw["entries"]), raw["dual_use"])
    if export_to_canonical_json(result) != data:
        raise _bad_json("bytes are not in RFC 8785 canonical form")
    return result


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An entry the catalogue offers for what was typed, and what it is about."""

    entry: str  # REGIME:CODE, as a label's control entries are written
    summary: str


MIN_QUERY = 3


def suggest_entries(query: str, limit: int = 8) -> list[Suggestion]:
    """Entries for a label's control list from what a person typed: the entry itself
    when it is one on its list, else headings whose title holds every word typed and
    that are entries in their own right (USML categories, Wassenaar munitions; a CCL
    category needs a full ECCN and is not offered)."""
    text = query.strip()
    try:
        entry = parse_control_entry(text)
    except InvalidInput:
        entry = None
    if entry is not None:
        described = describe_entry(entry.regime.value, entry.code)
        return [Suggestion(render_control_entry(entry), described.summary)]
    if len(text) < MIN_QUERY:
        return []
    words = text.lower().split()
    found = [
        Suggestion(f"{prefix}{code}", title)
        for regime, key, prefix in (
            ("ITAR", "categories", "ITAR:USML-"),
            ("WA", "munitions", "WA:"),
        )
        for code, title in heading_titles(regime, key).items()
        if all(word in title.lower() for word in words)
    ]
    return found[:limit]
