"""Explanations: a decision rendered for one audience, as data.

Audiences and what they see (ADR 0006):

- ``officer`` (security officers, the node console): every requirement with the
  full detail the policy used: missing compartments, agreement ids, screening hits.
- ``subject`` (the person asking about themselves): every requirement with a detail
  that names only facts about themselves or what the label they may already see
  says; never compartment names they lack, agreement or licence ids, or screening
  hits. Services show the subject view only for resources the subject may discover;
  otherwise the answer is the same "not found" a missing resource gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caveat.domain.policy.model import Decision, Obligation


class Audience(StrEnum):
    """Who an explanation is for."""

    OFFICER = "officer"
    SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class ExplainedRequirement:
    """One requirement as shown to an audience."""

    number: int
    code: str
    title: str
    applies: bool
    satisfied: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """A decision for one audience: the outcome, the failed codes, every requirement."""

    audience: Audience
    subject_id: str
    resource_id: str
    action: str
    permitted: bool
    failed: tuple[str, ...]
    requirements: tuple[ExplainedRequirement, ...]
    obligations: tuple[Obligation, ...]

    def summary(self) -> str:
        """One line: permit, or deny with the failed requirement codes."""
        if self.permitted:
            return f"permit {self.action}"
        return f"deny {self.action}: " + ", ".join(self.failed)


def explain(decision: Decision, audience: Audience) -> Explanation:
    """``decision`` as ``audience`` may see it."""
    officer = audience is Audience.OFFICER
    return Explanation(
        audience=audience,
        subject_id=decision.subject_id,
        resource_id=decision.resource_id,
        action=decision.action.value,
        permitted=decision.permitted,
        failed=tuple(decision.failed_codes),
        requirements=tuple(
            ExplainedRequirement(
                number=int(r.requirement),
                code=r.code,
                title=r.requirement.title,
                applies=r.applies,
                satisfied=r.satisfied,
                detail=r.detail if officer else r.subject_detail,
            )
            for r in decision.results
        ),
        obligations=decision.obligations,
    )
