"""The lifecycle tables: agreement, export authorization, release request, visit,
screening hit, upload session, peer, procedure version and proficiency round (ADR 0014).

Each table is the one statement of which verb moves a record from which state to which,
and who may make the move; services call ``require_move`` with it, pages offer the verbs
it lists, and ``tests/lifecycles/`` drives the services with random moves against it.
The refusal codes are the ones each service raised before the tables (clients switch
on them).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from caveat.domain.compliance import AgreementStatus, HitStatus, ReleaseStatus
from caveat.domain.federation import PeerStatus
from caveat.domain.lifecycle import Lifecycle, Refusal, Transition, Who
from caveat.domain.permissions import Act
from caveat.domain.plans import DeliverableStatus, TaskStatus

# -- agreements: status changes take effect at once (requirement 6 reads them) --------

_A = AgreementStatus
AGREEMENT: Lifecycle[AgreementStatus] = Lifecycle(
    name="agreement",
    initial=_A.DRAFT,
    transitions=(
        Transition("activate", frozenset({_A.DRAFT}), _A.IN_FORCE, Act.AGREEMENT_MOVE),
        Transition("suspend", frozenset({_A.IN_FORCE}), _A.SUSPENDED, Act.AGREEMENT_MOVE),
        Transition("resume", frozenset({_A.SUSPENDED}), _A.IN_FORCE, Act.AGREEMENT_MOVE),
        Transition(
            "expire", frozenset({_A.IN_FORCE, _A.SUSPENDED}), _A.EXPIRED, Act.AGREEMENT_MOVE
        ),
        Transition(
            "terminate",
            frozenset({_A.DRAFT, _A.IN_FORCE, _A.SUSPENDED}),
            _A.TERMINATED,
            Act.AGREEMENT_MOVE,
        ),
    ),
    terminal=frozenset({_A.EXPIRED, _A.TERMINATED}),
    code="invalid_agreement_transition",
    labels={_A.DRAFT: "a draft"},
)


# -- export authorizations: the stored status (expiry by date is read, not moved) -----


class AuthorizationStatus(StrEnum):
    """An export authorization's stored status."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


_Z = AuthorizationStatus
AUTHORIZATION: Lifecycle[AuthorizationStatus] = Lifecycle(
    name="authorization",
    initial=_Z.ACTIVE,
    transitions=(
        Transition("suspend", frozenset({_Z.ACTIVE}), _Z.SUSPENDED, Act.AUTHORIZATION_WRITE),
        Transition("reinstate", frozenset({_Z.SUSPENDED}), _Z.ACTIVE, Act.AUTHORIZATION_WRITE),
        Transition(
            "revoke", frozenset({_Z.ACTIVE, _Z.SUSPENDED}), _Z.REVOKED, Act.AUTHORIZATION_WRITE
        ),
    ),
    terminal=frozenset({_Z.REVOKED}),
    code="invalid_authorization_transition",
)


# -- release requests: export control classifies, the originator's officer decides;
#    nobody classifies or decides their own request (the permission table's
#    "not who asked"), nor decides one they classified (the service's rule) ------------

_R = ReleaseStatus
RELEASE: Lifecycle[ReleaseStatus] = Lifecycle(
    name="release",
    initial=_R.PENDING,
    transitions=(
        Transition("classify", frozenset({_R.PENDING}), _R.CLASSIFIED, Act.RELEASE_CLASSIFY),
        Transition("approve", frozenset({_R.CLASSIFIED}), _R.APPROVED, Act.RELEASE_DECIDE),
        Transition("deny", frozenset({_R.PENDING, _R.CLASSIFIED}), _R.DENIED, Act.RELEASE_DECIDE),
    ),
    terminal=frozenset({_R.APPROVED, _R.DENIED}),
    code="release_decided",
    refusals=(
        Refusal(code="release_not_pending", verbs=frozenset({"classify"})),
        Refusal(
            code="release_not_classified",
            verbs=frozenset({"approve"}),
            states=frozenset({_R.PENDING}),
        ),
    ),
    labels={_R.PENDING: "pending", _R.CLASSIFIED: "classified by export control"},
)


# -- visits: the host organisation's security officer decides, never the visitor or
#    whoever asked for the visit ----------------------------------------------------------


class VisitStatus(StrEnum):
    """A visit request's progress."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


_V = VisitStatus
VISIT: Lifecycle[VisitStatus] = Lifecycle(
    name="visit",
    initial=_V.PENDING,
    transitions=(
        Transition("approve", frozenset({_V.PENDING}), _V.APPROVED, Act.VISIT_DECIDE),
        Transition("deny", frozenset({_V.PENDING}), _V.DENIED, Act.VISIT_DECIDE),
    ),
    terminal=frozenset({_V.APPROVED, _V.DENIED}),
    code="visit_decided",
)


# -- screening hits: resolved once, by an officer of the person's own organisation (an
#    organisation's hit: of another organisation), never by the person held -----------

_H = HitStatus
SCREENING_HIT: Lifecycle[HitStatus] = Lifecycle(
    name="screening hit",
    initial=_H.OPEN,
    transitions=(
        # The verbs are the outcomes the officer records ("resolve as ...").
        Transition(
            "false_positive", frozenset({_H.OPEN}), _H.FALSE_POSITIVE, Act.SCREENING_RESOLVE
        ),
        Transition("true_match", frozenset({_H.OPEN}), _H.TRUE_MATCH, Act.SCREENING_RESOLVE),
    ),
    terminal=frozenset({_H.FALSE_POSITIVE, _H.TRUE_MATCH}),
    code="hit_already_resolved",
    labels={_H.OPEN: "open"},
)


# -- upload sessions: only while open does a session have a row; a completed, aborted or
#    swept session is gone (looking it up answers unknown_upload), and one past its
#    expiry answers upload_expired to its owner until the sweeper removes it -----------


class UploadState(StrEnum):
    """Where an upload session stands."""

    OPEN = "open"
    LAPSED = "lapsed"  # past its expiry, not yet swept
    COMPLETED = "completed"
    ABORTED = "aborted"
    EXPIRED = "expired"  # removed by the sweeper


_U = UploadState
UPLOAD: Lifecycle[UploadState] = Lifecycle(
    name="upload",
    initial=_U.OPEN,
    transitions=(
        Transition("append", frozenset({_U.OPEN}), _U.OPEN, Who.OWNER),
        Transition("complete", frozenset({_U.OPEN}), _U.COMPLETED, Who.OWNER),
        Transition("abort", frozenset({_U.OPEN, _U.LAPSED}), _U.ABORTED, Who.OWNER),
        # The sweeper: node housekeeping (``artifact_admin.cleanup``) is the console's.
        Transition("expire", frozenset({_U.LAPSED}), _U.EXPIRED, Act.KEK_ROTATE),
    ),
    terminal=frozenset({_U.COMPLETED, _U.ABORTED, _U.EXPIRED}),
    code="upload_expired",
)


def upload_state(expires_at: datetime, now: datetime) -> UploadState:
    """The state of a session that still has its row: open until its expiry, then lapsed."""
    return UploadState.OPEN if now < expires_at else UploadState.LAPSED


# -- federation peers: recorded by an operator, accepted by an officer who compares the
#    fingerprint out of band (not the one who recorded it); new keys the same way -------

_P = PeerStatus
PEER: Lifecycle[PeerStatus] = Lifecycle(
    name="peer",
    initial=_P.PROPOSED,
    transitions=(
        Transition("accept", frozenset({_P.PROPOSED}), _P.ACTIVE, Act.PEER_ACCEPT),
        Transition("rotate_keys", frozenset({_P.ACTIVE}), _P.ROTATING, Act.PEER_PROPOSE),
        Transition("accept_keys", frozenset({_P.ROTATING}), _P.ACTIVE, Act.PEER_ACCEPT),
        Transition("discard_keys", frozenset({_P.ROTATING}), _P.ACTIVE, Act.PEER_REVOKE),
        Transition(
            "revoke", frozenset({_P.PROPOSED, _P.ACTIVE, _P.ROTATING}), _P.REVOKED, Act.PEER_REVOKE
        ),
    ),
    terminal=frozenset({_P.REVOKED}),
    code="invalid_peer_transition",
    labels={_P.ROTATING: "waiting for its new keys to be confirmed"},
)


# -- standardized test and evaluation (issue 19): a procedure version is approved by a
#    programme manager who did not write it, and superseded when a later one is approved;
#    a round takes submissions while open and is closed (scored) or cancelled by its
#    coordinator -------------------------------------------------------------------------


class ProcedureStatus(StrEnum):
    """Where a procedure version stands."""

    DRAFT = "draft"
    APPROVED = "approved"
    SUPERSEDED = "superseded"


_T = ProcedureStatus
PROCEDURE: Lifecycle[ProcedureStatus] = Lifecycle(
    name="procedure",
    initial=_T.DRAFT,
    transitions=(
        Transition(
            "approve", frozenset({_T.DRAFT}), _T.APPROVED, Act.PROFICIENCY_PROCEDURE_APPROVE
        ),
        # Made by the approval of a later version, in the same transaction.
        Transition(
            "supersede", frozenset({_T.APPROVED}), _T.SUPERSEDED, Act.PROFICIENCY_PROCEDURE_APPROVE
        ),
    ),
    terminal=frozenset({_T.SUPERSEDED}),
    code="procedure_not_draft",
    labels={_T.DRAFT: "a draft"},
)


class RoundStatus(StrEnum):
    """Where a proficiency round stands: results are blind until it is closed."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


_O = RoundStatus
ROUND: Lifecycle[RoundStatus] = Lifecycle(
    name="round",
    initial=_O.OPEN,
    transitions=(
        Transition("submit", frozenset({_O.OPEN}), _O.OPEN, Act.PROFICIENCY_SUBMIT),
        Transition("close", frozenset({_O.OPEN}), _O.CLOSED, Act.PROFICIENCY_ROUND_CLOSE),
        Transition("cancel", frozenset({_O.OPEN}), _O.CANCELLED, Act.PROFICIENCY_ROUND_CLOSE),
    ),
    terminal=frozenset({_O.CLOSED, _O.CANCELLED}),
    code="round_not_open",
)


# -- project plans (issue 21): a task is worked on by its assignee or the plan's editors;
#    a deliverable is delivered (linked to an artifact) or cancelled by the editors -----

_K = TaskStatus
TASK: Lifecycle[TaskStatus] = Lifecycle(
    name="task",
    initial=_K.OPEN,
    transitions=(
        Transition("start", frozenset({_K.OPEN}), _K.IN_PROGRESS, Act.PLAN_TASK_MOVE),
        Transition("pause", frozenset({_K.IN_PROGRESS}), _K.OPEN, Act.PLAN_TASK_MOVE),
        Transition("finish", frozenset({_K.OPEN, _K.IN_PROGRESS}), _K.DONE, Act.PLAN_TASK_MOVE),
        Transition(
            "cancel", frozenset({_K.OPEN, _K.IN_PROGRESS}), _K.CANCELLED, Act.PLAN_TASK_MOVE
        ),
    ),
    terminal=frozenset({_K.DONE, _K.CANCELLED}),
    code="task_closed",
)

_D = DeliverableStatus
DELIVERABLE: Lifecycle[DeliverableStatus] = Lifecycle(
    name="deliverable",
    initial=_D.PLANNED,
    transitions=(
        Transition("deliver", frozenset({_D.PLANNED}), _D.DELIVERED, Act.PLAN_EDIT),
        Transition("cancel", frozenset({_D.PLANNED}), _D.CANCELLED, Act.PLAN_EDIT),
    ),
    terminal=frozenset({_D.DELIVERED, _D.CANCELLED}),
    code="deliverable_closed",
)


LIFECYCLES: tuple[Lifecycle[Any], ...] = (
    AGREEMENT,
    AUTHORIZATION,
    RELEASE,
    VISIT,
    SCREENING_HIT,
    UPLOAD,
    PEER,
    PROCEDURE,
    ROUND,
    TASK,
    DELIVERABLE,
)
