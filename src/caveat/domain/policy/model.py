"""Values the policy decides on and the decision it returns.

A decision lists every requirement with its outcome and two details: one for a
security officer (everything the policy used) and one the subject may read
(nothing the subject may not already know). Explanations are data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from caveat.domain.access import Action as Action
from caveat.domain.access import GrantKind as GrantKind
from caveat.domain.export_control import ExportClassification
from caveat.domain.identity import Clearance
from caveat.domain.labels import Label


class Requirement(IntEnum):
    """The ten requirements; all that apply to an action must hold. Values are stable."""

    ACCOUNT = 1
    CLEARANCE = 2
    RELEASABILITY = 3
    CAVEATS = 4
    NEED_TO_KNOW = 5
    AGREEMENT = 6
    EXPORT_AUTHORIZATION = 7
    SCREENING = 8
    EMBARGO = 9
    MFA_FRESHNESS = 10

    @property
    def code(self) -> str:
        """The stable code clients switch on, such as ``releasability``."""
        return self.name.lower()

    @property
    def title(self) -> str:
        """A short human name."""
        return _TITLES[self]


_TITLES = {
    Requirement.ACCOUNT: "account active, clearance in date, MFA enrolled",
    Requirement.CLEARANCE: "clearance dominates the classification",
    Requirement.RELEASABILITY: "releasable to every nationality",
    Requirement.CAVEATS: "restrictive caveats held",
    Requirement.NEED_TO_KNOW: "need-to-know (project or grant)",
    Requirement.AGREEMENT: "agreement in force",
    Requirement.EXPORT_AUTHORIZATION: "export authorization",
    Requirement.SCREENING: "denied-party screening clear",
    Requirement.EMBARGO: "no applicable embargo",
    Requirement.MFA_FRESHNESS: "MFA fresh enough",
}


@dataclass(frozen=True, slots=True)
class Subject:
    """Everything the policy knows about a person. Expiry times: None means open-ended."""

    id: str
    username: str
    organisation_id: str
    organisation_nation: str
    active: bool
    mfa_enrolled: bool
    citizenships: frozenset[str]
    residencies: frozenset[str] = frozenset()
    clearance: Clearance | None = None
    memberships: Mapping[str, datetime | None] = field(default_factory=dict)  # project -> expiry
    grants: Mapping[tuple[str, GrantKind], datetime | None] = field(default_factory=dict)
    caveats: Mapping[str, datetime | None] = field(default_factory=dict)  # "SCI:SI" -> expiry


@dataclass(frozen=True, slots=True)
class NodeRecipient:
    """A partner node as the recipient of a release (issue 18): the local organisation
    that runs it and its nation, the highest common level it is accredited to hold, and
    the agreements its peering names (the only ones a release to it may rest on)."""

    peer_id: str
    name: str
    organisation_id: str
    nation: str
    accredited_level: int
    agreement_ids: frozenset[str]


@dataclass(frozen=True, slots=True)
class ControlFact:
    """One export-control entry as the policy uses it."""

    entry: str  # REGIME:CODE, as rendered
    jurisdiction: str  # who licenses it: a nation, "EU", or the originator's nation for "*"
    exempt: bool  # EAR99: subject to the EAR, not listed, needs no licence to allies


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """What the policy needs from a label, derived once (see ``facts.label_facts``)."""

    common_level: int
    rel_mode: str  # open | list | noforn | originator
    rel_codes: frozenset[str]  # REL TO nations and groups as written
    originator_nation: str | None
    originator_controlled: bool  # ORCON, IMCON or PROPIN: the originator must permit
    held_caveats: frozenset[str]  # "TAG:VALUE" the subject must hold (SCI, SAP, others)


@dataclass(frozen=True, slots=True)
class Resource:
    """A labelled resource in a project. ``label`` None means unlabelled: always denied."""

    id: str
    project_id: str
    kind: str
    label: Label | None
    facts: LabelFacts | None
    export: ExportClassification = field(default_factory=ExportClassification)
    controls: tuple[ControlFact, ...] = ()
    originator_org_id: str | None = None


@dataclass(frozen=True, slots=True)
class RequirementResult:
    """One requirement's outcome. ``applies`` False: not required for this action."""

    requirement: Requirement
    satisfied: bool
    applies: bool
    detail: str  # for security officers: every fact used
    subject_detail: str  # for the subject: only what they may know

    @property
    def code(self) -> str:
        return self.requirement.code


@dataclass(frozen=True, slots=True)
class Obligation:
    """Something the caller must do for the decision to change or to hold."""

    code: str  # step_up_mfa
    detail: str
    max_age_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Permit or deny, with every requirement's result and any obligations."""

    subject_id: str
    resource_id: str
    action: Action
    permitted: bool
    results: tuple[RequirementResult, ...]
    obligations: tuple[Obligation, ...] = ()
    at: datetime | None = None

    @property
    def failed(self) -> tuple[Requirement, ...]:
        """The requirements that apply and do not hold."""
        return tuple(r.requirement for r in self.results if r.applies and not r.satisfied)

    @property
    def failed_codes(self) -> list[str]:
        """Stable codes of the failed requirements."""
        return [r.code for r in self.failed]

    def result(self, requirement: Requirement) -> RequirementResult:
        """The result of one requirement."""
        return self.results[int(requirement) - 1]
