"""Facts derived once per resource and once per (subject, moment), shared by decide() and SQL.

Deriving them in one place is what makes a single decision and a listing agree:
both read the same facts, one in Python, one as a WHERE clause.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from caveat.domain.export_control import ExportClassification, Regime, render_control_entry
from caveat.domain.labels import (
    DISSEM,
    NOFORN,
    REL_TO,
    RELIDO,
    CategoryType,
    Label,
    NoEquivalentLevel,
    SchemeRegistry,
)
from caveat.domain.policy.config import PolicyEnvironment
from caveat.domain.policy.model import ControlFact, GrantKind, LabelFacts, Resource, Subject
from caveat.domain.policy.ports import AgreementTerms, EmbargoTerms, ScreeningHold

# Controls the originator must permit case by case (CAPCO: ORCON, IMCON; PROPIN: the
# commercial source). FOUO marks unclassified handling only; RELIDO widens release;
# NOFORN is a releasability rule (requirement 3), not a caveat one holds.
ORIGINATOR_CONTROLS = frozenset({"ORCON", "IMCON", "PROPIN"})
_NOT_HELD = frozenset({NOFORN, RELIDO, "FOUO"}) | ORIGINATOR_CONTROLS
EU_GROUP = "EU"


def label_facts(label: Label, schemes: SchemeRegistry) -> LabelFacts:
    """What the policy needs from ``label``; unknown schemes or levels raise (fail closed)."""
    scheme = schemes.get(label.policy)
    common = scheme.level(label.classification).common
    originator = label.originator.nation if label.originator else scheme.nation
    dissem = label.values(DISSEM)
    rel_to = label.releasable_to
    if NOFORN in dissem:
        mode, codes = "noforn", frozenset[str]()
    elif rel_to is not None:
        mode, codes = "list", rel_to
    elif common == 0:
        mode, codes = "open", frozenset()
    else:
        # Classified and never released: the originator's nationals only.
        mode, codes = "originator", frozenset()
    held = frozenset(
        f"{c.tag}:{v}"
        for c in label.categories
        if c.type is CategoryType.RESTRICTIVE and c.tag != REL_TO
        for v in c.values
        if not (c.tag == DISSEM and v in _NOT_HELD)
    )
    return LabelFacts(
        common_level=common,
        rel_mode=mode,
        rel_codes=codes,
        originator_nation=originator,
        originator_controlled=bool(dissem & ORIGINATOR_CONTROLS),
        held_caveats=held,
    )


def control_facts(
    export: ExportClassification, originator_nation: str | None
) -> tuple[ControlFact, ...]:
    """Each control entry with the jurisdiction that would license its transfer."""
    out = []
    for entry in export.entries:
        # A multilateral list (Wassenaar, MTCR) is enforced by the exporting state.
        jurisdiction = entry.jurisdiction
        if jurisdiction == "*":
            jurisdiction = originator_nation or "*"
        exempt = entry.regime is Regime.EAR and entry.code == "EAR99"
        out.append(ControlFact(render_control_entry(entry), jurisdiction, exempt))
    return tuple(out)


def make_resource(
    *,
    id: str,
    project_id: str,
    kind: str,
    label: Label | None,
    schemes: SchemeRegistry,
    export: ExportClassification | None = None,
    originator_org_id: str | None = None,
) -> Resource:
    """A Resource with its facts derived from the label and export classification."""
    export = export or ExportClassification()
    facts = None if label is None else label_facts(label, schemes)
    controls = control_facts(export, facts.originator_nation if facts else None)
    return Resource(id, project_id, kind, label, facts, export, controls, originator_org_id)


def not_released_to(
    facts: LabelFacts, nations: Iterable[str], env: PolicyEnvironment, on: date
) -> list[str]:
    """The nations among ``nations`` this label does not release to on ``on``: the
    releasability requirement's rule (originator, REL TO nations and groups) per nation."""
    if facts.rel_mode == "open":
        return []
    return sorted(
        n
        for n in set(nations)
        if n != facts.originator_nation
        and not (facts.rel_mode == "list" and ({n} | env.groups_of(n, on)) & facts.rel_codes)
    )


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """A subject's facts at one moment: everything decide() and the SQL need."""

    account_ok: bool
    account_problems: tuple[str, ...]
    clearance_valid: bool
    cleared_levels: frozenset[int]
    nationalities: frozenset[str]
    jurisdictions: frozenset[str]
    covering: dict[str, frozenset[str]]  # nation -> codes that name it on the day
    projects: frozenset[str]
    access_grants: frozenset[str]
    originator_grants: frozenset[str]
    holdings: frozenset[str]
    agreements: tuple[AgreementTerms, ...]
    authorized: frozenset[str]
    holds: tuple[ScreeningHold, ...]
    embargoes: tuple[EmbargoTerms, ...]
    mfa_age: int | None  # seconds since the last MFA proof; None: none in this credential
    mfa_levels: frozenset[int]  # levels whose freshness limit the proof meets
    dual_eligible: bool  # the subject-level conditions of the dual-national rule hold


def _in_force(expiry: datetime | None, now: datetime) -> bool:
    return expiry is None or expiry > now


def cleared_levels(subject: Subject, env: PolicyEnvironment, on: datetime) -> frozenset[int]:
    """Common levels the subject may see through their granting nation's equivalence table.

    A nation's table may protect a level as a higher one (UK: NATO CONFIDENTIAL as
    SECRET), so a clearance covers level c when the level its scheme uses for c is
    within it; a stated "deny" rule covers nothing. Unclassified needs no clearance.
    """
    clearance = subject.clearance
    if clearance is None or not clearance.valid_on(on.date()):
        return frozenset({0})
    code = env.scheme_by_nation.get(clearance.granting_nation)
    levels = {0}
    for common in range(1, 5):
        if code is None:
            needed = common
        else:
            try:
                needed = env.schemes.get(code).level_for_common(common).common
            except NoEquivalentLevel:
                continue
        if int(clearance.level) >= needed:
            levels.add(common)
    return frozenset(levels)


def subject_facts(
    subject: Subject, env: PolicyEnvironment, now: datetime, mfa_at: datetime | None
) -> SubjectFacts:
    """Derive a subject's facts at ``now`` (one call per request, not per resource)."""
    day = now.date()
    problems = []
    if not subject.active:
        problems.append("the account is suspended")
    if not subject.mfa_enrolled:
        problems.append("no MFA is enrolled")
    clearance_valid = subject.clearance is not None and subject.clearance.valid_on(day)
    if subject.clearance is not None and not clearance_valid:
        problems.append(f"the clearance expired on {subject.clearance.expires.isoformat()}")
    nations = subject.citizenships
    everyone = nations | subject.residencies
    covering = {
        n: frozenset({n}) | env.groups_of(n, day) for n in everyone | {subject.organisation_nation}
    }
    jurisdictions = set(everyone)
    if any(EU_GROUP in covering[n] for n in everyone):
        jurisdictions.add(EU_GROUP)
    grants = {kind: set[str]() for kind in GrantKind}
    for (resource_id, kind), expiry in subject.grants.items():
        if _in_force(expiry, now):
            grants[kind].add(resource_id)
    agreements = tuple(
        env.agreements.in_force(
            organisation_id=subject.organisation_id, nation=subject.organisation_nation, on=day
        )
    )
    authorizations = env.authorizations.in_force(
        person_id=subject.id, organisation_id=subject.organisation_id, nations=everyone, on=day
    )
    age = None if mfa_at is None else max(0, int((now - mfa_at).total_seconds()))
    limits = env.config.mfa_max_age
    mfa_levels = frozenset(
        level
        for level, limit in enumerate(limits)
        if limit is None or (age is not None and age <= limit)
    )
    rule = env.config.dual_national
    dual = (
        rule is not None
        and (rule.organisations is None or subject.organisation_id in rule.organisations)
        and clearance_valid
        and subject.clearance is not None
        and subject.clearance.granting_nation == subject.organisation_nation
    )
    return SubjectFacts(
        account_ok=not problems,
        account_problems=tuple(problems),
        clearance_valid=clearance_valid,
        cleared_levels=cleared_levels(subject, env, now),
        nationalities=nations,
        jurisdictions=frozenset(jurisdictions),
        covering=covering,
        projects=frozenset(p for p, exp in subject.memberships.items() if _in_force(exp, now)),
        access_grants=frozenset(grants[GrantKind.ACCESS]),
        originator_grants=frozenset(grants[GrantKind.ORIGINATOR]),
        holdings=frozenset(c for c, exp in subject.caveats.items() if _in_force(exp, now)),
        agreements=agreements,
        authorized=frozenset(e for a in authorizations for e in a.entries),
        holds=tuple(
            env.screening.holds(person_id=subject.id, organisation_id=subject.organisation_id)
        ),
        embargoes=tuple(env.embargoes.in_force(nations=everyone, on=day)),
        mfa_age=age,
        mfa_levels=mfa_levels,
        dual_eligible=dual,
    )
