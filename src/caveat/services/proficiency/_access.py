"""Who sees what of a round: need-to-know for the round, the permission table for a
laboratory's results (blind until close), the policy for every labelled row.

- A round is seen by the current members of its project (as the policy reads
  need-to-know); anyone else gets the "not found" of a round that does not exist.
- A laboratory's submission and scores are read when the permission table allows
  ``proficiency.result_read`` on them (the laboratory's own people, the round's
  coordinator, or anyone once the round is closed) *and* the policy permits READ on the
  submission's catalogue row (its label: clearance, releasability, agreements...).
- Another laboratory is shown under its code unless the caller coordinates the round or
  the round reveals identities.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.proficiency import RoundRow
from caveat.domain.errors import InvalidInput, NotFound
from caveat.domain.labels import Label, label_from_canonical_json, render_banner
from caveat.domain.lifecycles import RoundStatus
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, Context, Subject, SubjectFacts, decide
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Principal
from caveat.services.policy import PolicyService, resource_of, subject_of


def round_missing(ref: str) -> NotFound:
    """The one answer for a round that does not exist and one the caller may not see."""
    return NotFound(f"no proficiency round {ref!r}", code="unknown_round")


def procedure_missing(ref: str) -> NotFound:
    """The one answer for a procedure (version) missing or not the caller's to see."""
    return NotFound(f"no test procedure {ref!r}", code="unknown_procedure")


def result_target(round_row: RoundRow, organisation_id: str) -> Target:
    """The facts the blindness rule reads for one laboratory's results in a round."""
    return Target(
        organisation_id=organisation_id,
        round_coordinator=round_row.coordinator_id,
        round_closed=round_row.status == RoundStatus.CLOSED.value,
    )


def marking(label: Label, policy: PolicyService) -> str:
    """A label's banner text (its canonical JSON when no banner can write it)."""
    try:
        return render_banner(label, schemes=policy.schemes)
    except InvalidInput:
        return "(a label without a banner form)"


def label_of(row: ResourceRow, policy: PolicyService) -> Label:
    """The label of a catalogue row (every row this feature writes has one)."""
    assert row.label_json is not None
    return label_from_canonical_json(
        row.label_json.encode(), schemes=policy.schemes, check_rules=False
    )


@dataclass
class Viewer:
    """A caller at one moment: their policy facts, derived once for every row decided."""

    principal: Principal
    subject: Subject
    context: Context
    facts: SubjectFacts
    policy: PolicyService
    now: datetime

    def member_of(self, project_id: str) -> bool:
        """Whether the caller is a current member of the project (need-to-know)."""
        return self.facts.account_ok and project_id in self.facts.projects

    def may_read(self, row: ResourceRow | None) -> bool:
        """The policy's decision on READ of one catalogue row."""
        if row is None:
            return False
        resource = resource_of(row, self.policy.schemes)
        return decide(self.subject, Action.READ, resource, self.context).permitted

    def sees_results_of(self, round_row: RoundRow, organisation_id: str) -> bool:
        """The permission table's blindness rule for one laboratory's results."""
        return allowed(
            self.principal,
            Act.PROFICIENCY_RESULT_READ,
            result_target(round_row, organisation_id),
            now=self.now,
        )

    def knows_identity(self, round_row: RoundRow, organisation_id: str) -> bool:
        """Whether the caller sees who a laboratory is rather than its code."""
        return (
            round_row.reveal_identities
            or round_row.coordinator_id == self.principal.person_id
            or organisation_id == self.principal.person.organisation_id
        )

    def shown(self, round_row: RoundRow, org: OrganisationRow, code: str) -> tuple[str, bool]:
        """How a laboratory is named to the caller, and whether the name is its identity."""
        if self.knows_identity(round_row, org.id):
            return f"{code} {org.short_name or org.name}", True
        return code, False


def viewer(session: Session, policy: PolicyService, principal: Principal, now: datetime) -> Viewer:
    """The caller's facts, derived once."""
    subject = subject_of(session, principal.person)
    context = Context(now, principal.mfa_at, policy.environment())
    return Viewer(principal, subject, context, context.facts(subject), policy, now)


def visible_round(session: Session, who: Viewer, round_id: str) -> RoundRow:
    """The round, if the caller may see it; else the "not found" of a missing one."""
    row = session.get(RoundRow, round_id)
    if row is None or not who.member_of(row.project_id):
        raise round_missing(round_id)
    return row
