"""Who reads what of a discussion: every decision is the policy's ``decide()``.

A title and each message version is decided as a resource of the discussion's project,
labelled with its own label and originated by its author's organisation (``_resource``).
A discussion is seen by a reader who may READ its title and, for an artifact's
discussion, the artifact; a message by one who may also READ a version of it. Whatever
the reader may not read is answered exactly as what does not exist: the same "not found",
the same counts, no positions or version numbers that would show a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from caveat.adapters.db.models.artifacts import ArtifactRow
from caveat.adapters.db.models.discussions import DiscussionRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.errors import NotFound
from caveat.domain.identity import Person
from caveat.domain.labels import Label, label_from_canonical_json
from caveat.domain.policy import Action, Context, Resource, Subject, decide, make_resource
from caveat.services.policy import PolicyService, resource_of, subject_of

KIND = "discussion_message"


def discussion_missing(ref: str) -> NotFound:
    """The one answer for a discussion that does not exist and one the caller may not see."""
    return NotFound(f"no discussion {ref!r}", code="unknown_discussion")


def message_missing(ref: str) -> NotFound:
    """The one answer for a message that does not exist and one the caller may not read."""
    return NotFound(f"no message {ref!r}", code="unknown_discussion_message")


def project_missing(ref: str) -> NotFound:
    """As ``find_project`` answers for a project that does not exist."""
    return NotFound(
        f"no project {ref!r}",
        code="unknown_project",
        hint="list projects with `caveat policy project list`",
    )


def artifact_missing(ref: str) -> NotFound:
    """As the artifact feature answers for an artifact missing or hidden."""
    return NotFound(f"no artifact {ref!r}", code="unknown_artifact")


def resource(
    policy: PolicyService, *, id: str, project_id: str, label: Label, org_id: str
) -> Resource:
    """The policy resource a title or message version is."""
    return make_resource(
        id=id,
        project_id=project_id,
        kind=KIND,
        label=label,
        schemes=policy.schemes,
        originator_org_id=org_id,
    )


@dataclass
class Reader:
    """Someone reading at one moment: their facts are derived once, labels parsed once."""

    subject: Subject
    context: Context
    policy: PolicyService
    session: Session
    _labels: dict[str, Label] = field(default_factory=dict)
    _artifacts: dict[str, bool] = field(default_factory=dict)

    @property
    def projects(self) -> frozenset[str]:
        """The projects the reader is a current member of (none if the account is not)."""
        facts = self.context.facts(self.subject)
        return facts.projects if facts.account_ok else frozenset()

    def label(self, canonical: str) -> Label:
        """A stored label (checked when it was written)."""
        found = self._labels.get(canonical)
        if found is None:
            found = label_from_canonical_json(
                canonical.encode(), schemes=self.policy.schemes, check_rules=False
            )
            self._labels[canonical] = found
        return found

    def may_read(self, id: str, project_id: str, label_json: str, org_id: str) -> bool:
        """The policy's decision on READ of one title or message version."""
        r = resource(
            self.policy, id=id, project_id=project_id, label=self.label(label_json), org_id=org_id
        )
        return decide(self.subject, Action.READ, r, self.context).permitted

    def may_read_artifact(self, artifact_id: str) -> bool:
        """The policy's decision on READ of an artifact's catalogue row."""
        known = self._artifacts.get(artifact_id)
        if known is None:
            row = self.session.get(ResourceRow, artifact_id)
            known = (
                row is not None
                and self.session.get(ArtifactRow, artifact_id) is not None
                and decide(
                    self.subject,
                    Action.READ,
                    resource_of(row, self.policy.schemes),
                    self.context,
                ).permitted
            )
            self._artifacts[artifact_id] = known
        return known

    def sees(self, row: DiscussionRow) -> bool:
        """Whether the reader sees the discussion: its title, and its artifact if any."""
        return self.may_read(
            row.id, row.project_id, row.title_label_json, row.originator_org_id
        ) and (row.artifact_id is None or self.may_read_artifact(row.artifact_id))

    def discussion(self, discussion_id: str) -> DiscussionRow:
        """The discussion if the reader sees it; else the "not found" of a missing one."""
        row = self.session.get(DiscussionRow, discussion_id)
        if row is None or not self.sees(row):
            raise discussion_missing(discussion_id)
        return row


def reader_of(
    session: Session, policy: PolicyService, person: Person, mfa_at: datetime | None, now: datetime
) -> Reader:
    """``person`` reading at ``now`` with a second factor proved at ``mfa_at``."""
    return Reader(
        subject_of(session, person), Context(now, mfa_at, policy.environment()), policy, session
    )
