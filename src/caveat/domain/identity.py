"""People, organisations, roles and clearances as plain values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum, StrEnum

from caveat.domain.errors import InvalidInput
from caveat.domain.nations import require_nation

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,62}[a-z0-9]$")
# Deliberately loose: one @, no spaces, a dot in the domain. Deliverability is not our check.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Role(StrEnum):
    """What a person does on the platform; roles never bypass releasability."""

    RESEARCHER = "researcher"
    PROGRAMME_MANAGER = "programme_manager"
    SECURITY_OFFICER = "security_officer"
    EXPORT_CONTROL_OFFICER = "export_control_officer"
    AGREEMENT_MANAGER = "agreement_manager"
    NODE_OPERATOR = "node_operator"
    AUDITOR = "auditor"


class ProjectRole(StrEnum):
    """What a member does in a project; need-to-know comes from membership, not the role."""

    LEAD = "lead"
    MEMBER = "member"
    OBSERVER = "observer"
    VISITOR = "visitor"  # granted by an approved visit, for its dates


class PersonStatus(StrEnum):
    """An account is active or suspended; suspended accounts cannot sign in."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class OrganisationKind(StrEnum):
    """The kinds of partner that take part in joint programmes."""

    GOVERNMENT_LABORATORY = "government_laboratory"
    INDUSTRY = "industry"
    ACADEMIA = "academia"
    INTERNATIONAL_ORGANISATION = "international_organisation"


class CommonLevel(IntEnum):
    """The common ordinal scale on which every national level is compared.

    National schemes map their levels onto this scale through dated equivalence
    tables; the national name is kept beside it and never overwritten.
    """

    UNCLASSIFIED = 0
    RESTRICTED = 1
    CONFIDENTIAL = 2
    SECRET = 3
    TOP_SECRET = 4


def parse_common_level(name: str, *, field: str = "clearance") -> CommonLevel:
    """A level of the common scale by its name (``secret``, ``TOP SECRET``, ``top-secret``)."""
    try:
        return CommonLevel[name.strip().upper().replace(" ", "_").replace("-", "_")]
    except KeyError:
        raise InvalidInput(
            f"{name!r} is not a level of the common scale",
            field=field,
            hint="one of " + ", ".join(level.name for level in CommonLevel),
        ) from None


@dataclass(frozen=True, slots=True)
class Clearance:
    """A personnel security clearance granted by one nation, valid until ``expires``."""

    level: CommonLevel
    national_name: str
    granting_nation: str
    expires: date

    def __post_init__(self) -> None:
        require_nation(self.granting_nation, field="clearance.granting_nation")
        if not self.national_name.strip():
            raise InvalidInput(
                "a clearance needs its national level name",
                code="invalid_clearance",
                field="clearance.national_name",
                hint="for example SECRET, GEHEIM, NATO SECRET",
            )

    def valid_on(self, day: date) -> bool:
        """True while the clearance has not expired (the expiry day still counts)."""
        return day <= self.expires


@dataclass(frozen=True, slots=True)
class Person:
    """A person's account as the platform shows it (never with credentials)."""

    id: str
    username: str
    display_name: str
    email: str
    organisation_id: str
    organisation_name: str
    organisation_nation: str
    status: PersonStatus
    roles: tuple[Role, ...]
    citizenships: tuple[str, ...]
    residencies: tuple[str, ...]
    clearance: Clearance | None
    mfa_enrolled_at: datetime
    locked: bool
    must_change_password: bool
    created_at: datetime


def validate_username(username: str) -> str:
    """Usernames are lower-case ASCII, 3-64 characters: letters, digits, '.', '_', '-'."""
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"{username!r} is not a valid username",
            code="invalid_username",
            field="username",
            hint="use 3-64 lower-case letters, digits, '.', '_' or '-', starting with a letter",
        )
    return username


def validate_email(email: str) -> str:
    """A plausible e-mail address (one '@', a dotted domain, no spaces)."""
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidInput(
            f"{email!r} is not a valid e-mail address",
            code="invalid_email",
            field="email",
            hint="for example ada.lovelace@dstl.gov.uk",
        )
    return email


def validate_nationalities(citizenships: list[str], residencies: list[str]) -> None:
    """At least one citizenship; every code an ISO alpha-3 nation; no duplicates."""
    if not citizenships:
        raise InvalidInput(
            "a person needs at least one nationality",
            code="nationality_required",
            field="citizenships",
            hint="list every citizenship the person holds, for example ['GBR', 'FRA']",
        )
    for field, codes in (("citizenships", citizenships), ("residencies", residencies)):
        for code in codes:
            require_nation(code, field=field)
        if len(set(codes)) != len(codes):
            raise InvalidInput(
                f"{field} lists a nation twice", code="duplicate_nation", field=field
            )
