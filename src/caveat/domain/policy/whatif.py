"""What if: decide again under a hypothetical change and say what it changes.

Changes apply to copies; nothing stored moves. An officer asks, for example,
"if agreement A expires", "if she also held Indian nationality" or "if this report
were marked SECRET//REL TO USA, GBR".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from caveat.domain.identity import Clearance, CommonLevel
from caveat.domain.labels import Label, Originator
from caveat.domain.policy.engine import Context, decide
from caveat.domain.policy.facts import control_facts, label_facts
from caveat.domain.policy.model import Action, Decision, Requirement, Resource, Subject
from caveat.domain.policy.ports import Agreements, AgreementTerms


@dataclass(frozen=True, slots=True)
class AddNationality:
    """The subject also holds this citizenship."""

    nation: str


@dataclass(frozen=True, slots=True)
class RemoveNationality:
    """The subject no longer holds this citizenship."""

    nation: str


@dataclass(frozen=True, slots=True)
class ExpireAgreement:
    """The agreement is no longer in force."""

    agreement_id: str


@dataclass(frozen=True, slots=True)
class AddMembership:
    """The subject joins the project (no expiry)."""

    project_id: str


@dataclass(frozen=True, slots=True)
class RemoveMembership:
    """The subject leaves the project."""

    project_id: str


@dataclass(frozen=True, slots=True)
class SetClearance:
    """The subject's clearance becomes this level until ``expires`` (None: removed)."""

    level: CommonLevel | None
    expires: date | None = None


@dataclass(frozen=True, slots=True)
class AtTime:
    """Decide at another moment (memberships, grants and dates move with it)."""

    when: datetime


@dataclass(frozen=True, slots=True)
class Relabel:
    """The resource carries this label instead. A label that names no originator keeps
    the resource's: relabelling does not change who wrote it."""

    label: Label


Change = (
    AddNationality
    | RemoveNationality
    | ExpireAgreement
    | AddMembership
    | RemoveMembership
    | SetClearance
    | AtTime
    | Relabel
)


class _WithoutAgreements:
    """An agreements source with some agreements treated as expired."""

    def __init__(self, inner: Agreements, ended: frozenset[str]) -> None:
        self._inner = inner
        self._ended = ended

    def in_force(self, *, organisation_id: str, nation: str, on: date) -> Sequence[AgreementTerms]:
        found = self._inner.in_force(organisation_id=organisation_id, nation=nation, on=on)
        return [a for a in found if a.id not in self._ended]


def _relabelled(resource: Resource, label: Label, context: Context) -> Resource:
    if label.originator is None and resource.label is not None:
        kept = resource.label.originator
        if kept is None and resource.facts and resource.facts.originator_nation:
            # The old label's scheme implied the originator's nation; a marking in another
            # scheme would imply another, so name it.
            org = resource.originator_org_id or resource.facts.originator_nation
            kept = Originator(org, resource.facts.originator_nation)
        label = replace(label, originator=kept)
    facts = label_facts(label, context.env.schemes)
    controls = control_facts(resource.export, facts.originator_nation)
    return replace(resource, label=label, facts=facts, controls=controls)


def _apply(
    subject: Subject, resource: Resource, context: Context, changes: Iterable[Change]
) -> tuple[Subject, Resource, Context]:
    ended: set[str] = set()
    now = context.now
    for change in changes:
        if isinstance(change, Relabel):
            resource = _relabelled(resource, change.label, context)
        elif isinstance(change, AddNationality):
            subject = replace(subject, citizenships=subject.citizenships | {change.nation})
        elif isinstance(change, RemoveNationality):
            subject = replace(subject, citizenships=subject.citizenships - {change.nation})
        elif isinstance(change, ExpireAgreement):
            ended.add(change.agreement_id)
        elif isinstance(change, AddMembership):
            subject = replace(subject, memberships={**subject.memberships, change.project_id: None})
        elif isinstance(change, RemoveMembership):
            kept = {p: e for p, e in subject.memberships.items() if p != change.project_id}
            subject = replace(subject, memberships=kept)
        elif isinstance(change, SetClearance):
            clearance = None
            if change.level is not None:
                old = subject.clearance
                clearance = Clearance(
                    change.level,
                    change.level.name.replace("_", " "),
                    old.granting_nation if old else subject.organisation_nation,
                    change.expires or (old.expires if old else now.date()),
                )
            subject = replace(subject, clearance=clearance)
        else:
            now = change.when
    env = context.env
    if ended:
        env = replace(env, agreements=_WithoutAgreements(env.agreements, frozenset(ended)))
    return subject, resource, Context(now, context.mfa_at, env)


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The decision now, the decision under the changes, and the requirements that moved."""

    before: Decision
    after: Decision
    changed: tuple[Requirement, ...]


def what_if(
    subject: Subject,
    action: Action,
    resource: Resource,
    context: Context,
    changes: Sequence[Change],
) -> WhatIf:
    """Decide now and under ``changes``; report which requirements changed outcome."""
    before = decide(subject, action, resource, context)
    hypothetical, relabelled, moved = _apply(subject, resource, context, changes)
    after = decide(hypothetical, action, relabelled, moved)
    changed = tuple(
        b.requirement
        for b, a in zip(before.results, after.results, strict=True)
        if (b.satisfied, b.applies) != (a.satisfied, a.applies)
    )
    return WhatIf(before, after, changed)
