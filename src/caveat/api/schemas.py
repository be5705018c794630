"""Request and response bodies of the REST API (never the database rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from caveat.domain.identity import CommonLevel, OrganisationKind, PersonStatus, Role
from caveat.services.identity import ApiToken, Organisation, Person
from caveat.services.kernel.principal import Scope

NationCode = Annotated[str, Field(min_length=3, max_length=3, examples=["GBR"])]


# Leaf indices and tree sizes: far beyond any real log, well inside a database integer
# (an unbounded number used to reach SQLite as an overflow and answer 500).
MAX_LOG_SIZE = 2**53
# A 200 that is a CSV file, for the operations that export one.
CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "CSV, one row per record",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class Strict(BaseModel):
    """Unknown fields are errors: a typo must not be silently ignored. No text holds a
    NUL character (PostgreSQL refuses it in text: it used to surface as a 500)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise ValueError("the NUL character is not allowed")
        return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(v) for v in value)
    return False  # numbers, dates, enums; nested models check themselves


class LoginIn(Strict):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    otp: str = Field(max_length=32, description="six-digit TOTP code or a recovery code")


class ClearanceOut(BaseModel):
    level: CommonLevel
    level_name: str
    national_name: str
    granting_nation: str
    expires: date


class PersonOut(BaseModel):
    id: str
    username: str
    display_name: str
    email: str
    organisation_id: str
    organisation_name: str
    organisation_nation: str
    status: PersonStatus
    roles: list[Role]
    citizenships: list[str]
    residencies: list[str]
    clearance: ClearanceOut | None
    mfa_enrolled_at: datetime
    locked: bool
    must_change_password: bool

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        c = p.clearance
        return cls(
            id=p.id,
            username=p.username,
            display_name=p.display_name,
            email=p.email,
            organisation_id=p.organisation_id,
            organisation_name=p.organisation_name,
            organisation_nation=p.organisation_nation,
            status=p.status,
            roles=list(p.roles),
            citizenships=list(p.citizenships),
            residencies=list(p.residencies),
            clearance=None
            if c is None
            else ClearanceOut(
                level=c.level,
                level_name=c.level.name,
                national_name=c.national_name,
                granting_nation=c.granting_nation,
                expires=c.expires,
            ),
            mfa_enrolled_at=p.mfa_enrolled_at,
            locked=p.locked,
            must_change_password=p.must_change_password,
        )


class SessionOut(BaseModel):
    token: str = Field(description="bearer token; shown once")
    session_id: str
    expires_at: datetime
    idle_timeout_seconds: int
    must_change_password: bool
    person: PersonOut


class PasswordChangeIn(Strict):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class TotpEnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as an SVG QR code")
    ticket: str = Field(description="send back with a code to confirm")
    expires_at: datetime


class StepUpIn(Strict):
    otp: str = Field(max_length=64, description="a TOTP code or an unused recovery code")


class StepUpOut(BaseModel):
    mfa_at: datetime


class TotpConfirmIn(Strict):
    ticket: str = Field(max_length=1000)
    code: str = Field(max_length=6)


class RecoveryCodesOut(BaseModel):
    codes: list[str]


class RevokedOut(BaseModel):
    sessions_ended: int


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Scope] = Field(min_length=1)
    expires_in_days: int = Field(default=30, ge=1, le=365)


class TokenOut(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            scopes=list(t.scopes),
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
            last_used_at=t.last_used_at,
        )


class IssuedTokenOut(BaseModel):
    token: TokenOut
    secret: str = Field(description="the bearer token; shown once")


class NationOut(BaseModel):
    code: str
    name: str


class MembershipOut(BaseModel):
    nation: str
    valid_from: date | None
    valid_to: date | None


class GroupOut(BaseModel):
    code: str
    name: str
    builtin: bool
    source: str
    as_of: date | None
    members: list[MembershipOut]
    members_on: list[str] = Field(description="members on the requested day")


class GroupIn(Strict):
    code: str = Field(min_length=2, max_length=16, examples=["SENSORPROG"])
    name: str = Field(min_length=1, max_length=200)
    members: list[NationCode] = Field(min_length=1)
    valid_from: date | None = None
    source: str = Field(default="", max_length=2000)


class OrganisationIn(Strict):
    name: str = Field(min_length=2, max_length=200)
    short_name: str | None = Field(default=None, max_length=40)
    nation: NationCode
    kind: OrganisationKind


class OrganisationOut(BaseModel):
    id: str
    name: str
    short_name: str | None
    nation: str
    kind: OrganisationKind

    @classmethod
    def of(cls, o: Organisation) -> OrganisationOut:
        return cls(id=o.id, name=o.name, short_name=o.short_name, nation=o.nation, kind=o.kind)


class ClearanceIn(Strict):
    level: CommonLevel
    national_name: str = Field(min_length=1, max_length=80)
    granting_nation: NationCode
    expires: date


class PersonIn(Strict):
    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=254)
    organisation: str = Field(description="organisation id, name or short name")
    citizenships: list[NationCode] = Field(min_length=1)
    residencies: list[NationCode] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=lambda: [Role.RESEARCHER])
    clearance: ClearanceIn | None = None


class PersonChangeIn(Strict):
    roles: list[Role] | None = None
    clearance: ClearanceIn | None = None
    remove_clearance: bool = False
    citizenships: list[NationCode] | None = None
    residencies: list[NationCode] | None = None


class MfaSecretsOut(BaseModel):
    totp_secret: str
    otpauth_uri: str
    recovery_codes: list[str]


class NewAccountOut(BaseModel):
    person: PersonOut
    one_time_password: str | None = Field(description="shown once; must be changed at sign-in")
    mfa: MfaSecretsOut


class HealthOut(BaseModel):
    status: str
    detail: str | None = None
