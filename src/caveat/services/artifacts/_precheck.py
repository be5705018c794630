"""A label's checks before any content is sent: what an upload or a relabel would refuse.

An upload opens its session only when the whole request has arrived, so a label the
uploader could not read (TOP SECRET for a SECRET-cleared person, an export-controlled
entry no authorization of theirs covers) used to be refused after the file had been
sent. Here the same parse
(``draft_label``) and the same "nobody labels above what they may read" decision
(``policy.decide_in`` for READ on the draft resource) run read-only, as the person
builds the label. It changes nothing and is advice only: the upload or relabel itself
checks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from caveat.domain.errors import NotFound
from caveat.domain.policy import Action
from caveat.domain.resources import ResourceKind
from caveat.services.artifacts._catalogue import draft_label, draft_resource, new_id
from caveat.services.artifacts._deps import ArtifactDeps
from caveat.services.artifacts._lookup import discoverable
from caveat.services.kernel.principal import Principal
from caveat.services.projects import find_project


@dataclass(frozen=True, slots=True)
class LabelPrecheck:
    """The label as it would be stored, and whether its author could read it."""

    banner: str
    readable: bool
    failed: tuple[str, ...] = ()  # each failed requirement, as the subject may read it


def precheck_label(
    deps: ArtifactDeps,
    principal: Principal,
    *,
    label: str,
    controls: Sequence[str] = (),
    dual_use: bool = False,
    project: str | None = None,
    artifact_id: str | None = None,
) -> LabelPrecheck:
    """Parse ``label`` and ``controls`` as an upload to ``project`` (or a relabel of
    ``artifact_id``) would, and decide whether ``principal`` could read the result.
    A bad label or entry raises as the upload would (InvalidInput with its position)."""
    policy = deps.policy
    with deps.uow.read() as session:
        now = deps.uow.clock()
        originator: str | None = None
        kind = ResourceKind.DOCUMENT.value
        project_id = ""
        if artifact_id is not None:
            artifact, row = discoverable(session, policy, principal, artifact_id, now)
            originator = row.originator_org_id or artifact.originating_org_id
            project_id, kind = artifact.project_id, artifact.kind
        elif project:
            try:
                project_id = find_project(session, project).id
            except NotFound:
                project_id = ""  # the upload names the project's error itself
        draft = draft_label(
            session,
            policy,
            principal,
            text=label,
            controls=list(controls),
            dual_use=dual_use,
            now=now,
            originator_org_id=originator,
        )
        org = originator or principal.person.organisation_id
        resource = draft_resource(policy, new_id(), project_id, kind, draft, org)
        decision = policy.decide_in(session, principal, Action.READ, resource, now)
        failed = tuple(
            result.subject_detail
            for result in decision.results
            if result.applies and not result.satisfied
        )
        return LabelPrecheck(draft.banner, decision.permitted, failed)
