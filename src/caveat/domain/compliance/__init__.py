"""The legal frame, as pure rules: agreement kinds and lifecycle, IP terms, authorization
types, programme roles, funding amounts, dates (ADR 0008).

Nothing here touches the database; services call these checks before writing, so a
bad input is refused whole with a stable code and nothing is half-applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import parse_control_entry, render_control_entry
from caveat.domain.nations import require_nation

RECORD_RETENTION_YEARS = 5  # 22 CFR 122.5: five years from the authorization's expiry


class AgreementKind(StrEnum):
    """The kinds of agreement programmes run under."""

    MOU = "mou"
    PROJECT_ARRANGEMENT = "project_arrangement"
    TAA = "technical_assistance_agreement"
    NDA = "nda"
    DATA_EXCHANGE = "data_exchange_agreement"


class AgreementStatus(StrEnum):
    """An agreement's status; its moves are ``domain.lifecycles.AGREEMENT``."""

    DRAFT = "draft"
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    TERMINATED = "terminated"


def agreement_status(stored: str, expires_on: date | None, today: date) -> AgreementStatus:
    """The effective status: an agreement past its expiry date is expired, whatever is stored."""
    status = AgreementStatus(stored)
    if (
        status in (AgreementStatus.IN_FORCE, AgreementStatus.SUSPENDED)
        and expires_on is not None
        and today > expires_on
    ):
        return AgreementStatus.EXPIRED
    return status


class ForegroundRule(StrEnum):
    """Who owns foreground IP (generated under the agreement)."""

    GENERATING_PARTY = "generating_party"
    JOINT = "joint"
    LEAD = "lead"


class DisputeMechanism(StrEnum):
    """How disputes are settled."""

    CONSULTATION = "consultation"
    MEDIATION = "mediation"
    ARBITRATION = "arbitration"
    COURTS = "courts"


@dataclass(frozen=True, slots=True)
class IpTerms:
    """Background IP with owners, the foreground rule, licences, publication review."""

    background: tuple[tuple[str, str], ...] = ()  # (item, owner party)
    foreground: ForegroundRule = ForegroundRule.GENERATING_PARTY
    licences: tuple[tuple[str, str], ...] = ()  # (party, right granted)
    publication_review_days: int = 30

    def document(self) -> dict[str, Any]:
        return {
            "background": [{"item": i, "owner": o} for i, o in self.background],
            "foreground": self.foreground.value,
            "licences": [{"party": p, "right": r} for p, r in self.licences],
            "publication_review_days": self.publication_review_days,
        }


@dataclass(frozen=True, slots=True)
class DisputeTerms:
    """Dispute resolution: mechanism, venue and governing law."""

    mechanism: DisputeMechanism = DisputeMechanism.CONSULTATION
    venue: str = ""
    governing_law: str = ""

    def document(self) -> dict[str, Any]:
        return {
            "mechanism": self.mechanism.value,
            "venue": self.venue,
            "governing_law": self.governing_law,
        }


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or len(value) > 500:
        raise InvalidInput(f"{where}.{key} must be text (at most 500 characters)", field=where)
    return value.strip()


def ip_terms_from(raw: Mapping[str, Any] | None) -> IpTerms:
    """IP terms from their JSON document; unknown keys and bad values are refused."""
    if raw is None:
        return IpTerms()
    known = {"background", "foreground", "licences", "publication_review_days"}
    if not isinstance(raw, Mapping) or set(raw) - known:
        raise InvalidInput(
            "IP terms take background, foreground, licences, publication_review_days",
            code="invalid_ip_terms",
            field="ip_terms",
        )
    try:
        foreground = ForegroundRule(raw.get("foreground", "generating_party"))
    except ValueError:
        raise InvalidInput(
            f"unknown foreground IP rule {raw.get('foreground')!r}",
            code="invalid_ip_terms",
            field="ip_terms.foreground",
            hint="generating_party, joint or lead",
        ) from None
    days = raw.get("publication_review_days", 30)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
        raise InvalidInput(
            "the publication review period is 0-365 days",
            code="invalid_ip_terms",
            field="ip_terms.publication_review_days",
        )
    background = tuple(
        (_text(b, "item", "ip_terms.background"), _text(b, "owner", "ip_terms.background"))
        for b in _records(raw.get("background", []), "ip_terms.background")
    )
    licences = tuple(
        (_text(b, "party", "ip_terms.licences"), _text(b, "right", "ip_terms.licences"))
        for b in _records(raw.get("licences", []), "ip_terms.licences")
    )
    return IpTerms(background, foreground, licences, days)


def _records(value: Any, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidInput(
            f"{where} must be a list of objects", code="invalid_ip_terms", field=where
        )
    return value


def dispute_terms_from(raw: Mapping[str, Any] | None) -> DisputeTerms:
    """Dispute terms from their JSON document."""
    if raw is None:
        return DisputeTerms()
    if not isinstance(raw, Mapping) or set(raw) - {"mechanism", "venue", "governing_law"}:
        raise InvalidInput(
            "dispute resolution takes mechanism, venue, governing_law",
            code="invalid_dispute_terms",
            field="disputes",
        )
    try:
        mechanism = DisputeMechanism(raw.get("mechanism", "consultation"))
    except ValueError:
        raise InvalidInput(
            f"unknown dispute mechanism {raw.get('mechanism')!r}",
            code="invalid_dispute_terms",
            field="disputes.mechanism",
            hint=", ".join(m.value for m in DisputeMechanism),
        ) from None
    return DisputeTerms(
        mechanism, _text(raw, "venue", "disputes"), _text(raw, "governing_law", "disputes")
    )


def require_dates(start: date, end: date | None, *, what: str, today: date | None = None) -> None:
    """``end`` not before ``start``; and, when ``today`` is given, not already past."""
    if end is not None and end < start:
        raise InvalidInput(
            f"the {what} ends ({end}) before it starts ({start})",
            code="invalid_dates",
            field="expires_on",
        )
    if today is not None and end is not None and end < today:
        raise InvalidInput(
            f"the {what} would already have expired ({end})",
            code="expired_dates",
            field="expires_on",
        )


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Whether two inclusive date ranges (open end: None) share a day."""
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def control_entries(texts: Iterable[str]) -> tuple[str, ...]:
    """Checked, canonical, sorted and unique ``REGIME:CODE`` entries (malformed: refused)."""
    return tuple(sorted({render_control_entry(parse_control_entry(t.strip())) for t in texts}))


def nations(codes: Iterable[str]) -> tuple[str, ...]:
    """Checked ISO 3166 alpha-3 codes, sorted and unique."""
    out = set()
    for code in codes:
        require_nation(code)
        out.add(code)
    return tuple(sorted(out))


class AuthorizationType(StrEnum):
    """Export authorizations: US ITAR and EAR forms, and other jurisdictions' licences."""

    DSP5 = "DSP-5"  # ITAR permanent export
    DSP73 = "DSP-73"  # ITAR temporary export
    DSP85 = "DSP-85"  # ITAR classified
    TAA = "TAA"  # technical assistance agreement (part 124)
    MLA = "MLA"  # manufacturing licence agreement (part 124)
    EAR_LICENCE = "EAR licence"
    LICENCE_EXCEPTION = "licence exception"
    NATIONAL_LICENCE = "national licence"


_US_TYPES = frozenset(
    {
        AuthorizationType.DSP5,
        AuthorizationType.DSP73,
        AuthorizationType.DSP85,
        AuthorizationType.TAA,
        AuthorizationType.MLA,
        AuthorizationType.EAR_LICENCE,
        AuthorizationType.LICENCE_EXCEPTION,
    }
)
_ITAR_TYPES = frozenset(
    {
        AuthorizationType.DSP5,
        AuthorizationType.DSP73,
        AuthorizationType.DSP85,
        AuthorizationType.TAA,
        AuthorizationType.MLA,
    }
)
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_-]{1,79}$")


def check_authorization(
    kind: AuthorizationType, jurisdiction: str, number: str, entries: tuple[str, ...]
) -> None:
    """An authorization's type fits its jurisdiction and its entries fit its type."""
    if jurisdiction != "EU":
        require_nation(jurisdiction)
    if kind in _US_TYPES and jurisdiction != "USA":
        raise InvalidInput(
            f"a {kind.value} is issued by the USA, not {jurisdiction}",
            code="invalid_authorization",
            field="jurisdiction",
            hint="other jurisdictions issue a 'national licence'",
        )
    if kind is AuthorizationType.NATIONAL_LICENCE and jurisdiction == "USA":
        raise InvalidInput(
            "US authorizations are DSP-5, DSP-73, DSP-85, TAA, MLA, EAR licence or exception",
            code="invalid_authorization",
            field="type",
        )
    if not _NUMBER.match(number):
        raise InvalidInput(
            f"{number!r} is not an authorization number",
            code="invalid_authorization",
            field="number",
            hint="2-80 letters, digits, spaces, . / _ -",
        )
    if not entries:
        raise InvalidInput(
            "an authorization covers at least one control entry",
            code="invalid_authorization",
            field="entries",
        )
    if kind in _ITAR_TYPES and any(not e.startswith("ITAR:") for e in entries):
        raise InvalidInput(
            f"a {kind.value} authorizes ITAR (USML) entries only",
            code="invalid_authorization",
            field="entries",
        )
    if kind in (AuthorizationType.EAR_LICENCE, AuthorizationType.LICENCE_EXCEPTION) and any(
        not e.startswith("EAR:") for e in entries
    ):
        raise InvalidInput(
            f"an {kind.value} authorizes EAR (ECCN) entries only",
            code="invalid_authorization",
            field="entries",
        )


class ProgrammeRole(StrEnum):
    """How an organisation takes part in a programme."""

    LEAD = "lead"
    PARTNER = "partner"
    INDUSTRY_PARTNER = "industry_partner"
    ACADEMIC_PARTNER = "academic_partner"


class FundingKind(StrEnum):
    """A promise to pay, or money paid."""

    COMMITMENT = "commitment"
    CONTRIBUTION = "contribution"


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def amount_minor(amount: str, currency: str) -> int:
    """A decimal amount (``"1250000.50"``) in minor units (cents); two places at most."""
    if not _CURRENCY.match(currency):
        raise InvalidInput(
            f"{currency!r} is not an ISO 4217 currency code",
            code="invalid_currency",
            field="currency",
        )
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise InvalidInput(
            f"{amount!r} is not an amount", code="invalid_amount", field="amount"
        ) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            "an amount is positive with at most two decimal places",
            code="invalid_amount",
            field="amount",
        )
    if value >= Decimal(10) ** 16:
        raise InvalidInput("the amount is too large", code="invalid_amount", field="amount")
    return int(value * 100)


def format_minor(minor: int) -> str:
    """Minor units back to a decimal string."""
    return f"{Decimal(minor) / 100:.2f}"


def work_share_bp(percent: str | None) -> int | None:
    """A work share in percent (``"37.5"``) as basis points, 0-100 %."""
    if percent is None:
        return None
    try:
        value = Decimal(percent)
    except InvalidOperation:
        raise InvalidInput(
            f"{percent!r} is not a percentage", code="invalid_work_share", field="work_share"
        ) from None
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
        raise InvalidInput(
            "a work share is 0-100 % with at most two decimals",
            code="invalid_work_share",
            field="work_share",
        )
    return int(value * 100)


class ActivityKind(StrEnum):
    """Capacity building."""

    COURSE = "course"
    PLACEMENT = "placement"


class HitStatus(StrEnum):
    """A screening hit: open (holds), false positive (released), true match (stays held);
    its moves are ``domain.lifecycles.SCREENING_HIT``."""

    OPEN = "open"
    FALSE_POSITIVE = "false_positive"
    TRUE_MATCH = "true_match"


class ReleaseStatus(StrEnum):
    """A release request's progress; its moves are ``domain.lifecycles.RELEASE``."""

    PENDING = "pending"
    CLASSIFIED = "classified"
    APPROVED = "approved"
    DENIED = "denied"


def require_reason(reason: str, *, field: str = "reason") -> str:
    """A recorded reason: 3-2000 characters of text."""
    reason = reason.strip()
    if not 3 <= len(reason) <= 2000:
        raise InvalidInput(
            "give a reason (3 to 2000 characters)", code="reason_required", field=field
        )
    return reason
