"""The lifecycle tables as data: every verb's from and to, final states, refusal codes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from caveat.domain.compliance import AgreementStatus, HitStatus, ReleaseStatus
from caveat.domain.errors import Conflict
from caveat.domain.federation import PeerStatus
from caveat.domain.lifecycle import Lifecycle, RefusedMove, Transition, Who, require_move
from caveat.domain.lifecycles import (
    AGREEMENT,
    AUTHORIZATION,
    DELIVERABLE,
    LIFECYCLES,
    PEER,
    PROCEDURE,
    RELEASE,
    ROUND,
    SCREENING_HIT,
    TASK,
    UPLOAD,
    VISIT,
    AuthorizationStatus,
    ProcedureStatus,
    RoundStatus,
    UploadState,
    VisitStatus,
)
from caveat.domain.permissions import PERMISSIONS, Act
from caveat.domain.plans import DeliverableStatus, TaskStatus

P = PeerStatus
K, D = TaskStatus, DeliverableStatus
T, N = ProcedureStatus, RoundStatus
A, Z, R, V, H, U = (
    AgreementStatus,
    AuthorizationStatus,
    ReleaseStatus,
    VisitStatus,
    HitStatus,
    UploadState,
)

# verb -> (from states, to, who): the tables as a reviewer reads them.
EXPECTED: dict[str, dict[str, tuple[set[Any], Any, Act | Who]]] = {
    "agreement": {
        "activate": ({A.DRAFT}, A.IN_FORCE, Act.AGREEMENT_MOVE),
        "suspend": ({A.IN_FORCE}, A.SUSPENDED, Act.AGREEMENT_MOVE),
        "resume": ({A.SUSPENDED}, A.IN_FORCE, Act.AGREEMENT_MOVE),
        "expire": ({A.IN_FORCE, A.SUSPENDED}, A.EXPIRED, Act.AGREEMENT_MOVE),
        "terminate": ({A.DRAFT, A.IN_FORCE, A.SUSPENDED}, A.TERMINATED, Act.AGREEMENT_MOVE),
    },
    "authorization": {
        "suspend": ({Z.ACTIVE}, Z.SUSPENDED, Act.AUTHORIZATION_WRITE),
        "reinstate": ({Z.SUSPENDED}, Z.ACTIVE, Act.AUTHORIZATION_WRITE),
        "revoke": ({Z.ACTIVE, Z.SUSPENDED}, Z.REVOKED, Act.AUTHORIZATION_WRITE),
    },
    "release": {
        "classify": ({R.PENDING}, R.CLASSIFIED, Act.RELEASE_CLASSIFY),
        "approve": ({R.CLASSIFIED}, R.APPROVED, Act.RELEASE_DECIDE),
        "deny": ({R.PENDING, R.CLASSIFIED}, R.DENIED, Act.RELEASE_DECIDE),
    },
    "visit": {
        "approve": ({V.PENDING}, V.APPROVED, Act.VISIT_DECIDE),
        "deny": ({V.PENDING}, V.DENIED, Act.VISIT_DECIDE),
    },
    "screening hit": {
        "false_positive": ({H.OPEN}, H.FALSE_POSITIVE, Act.SCREENING_RESOLVE),
        "true_match": ({H.OPEN}, H.TRUE_MATCH, Act.SCREENING_RESOLVE),
    },
    "upload": {
        "append": ({U.OPEN}, U.OPEN, Who.OWNER),
        "complete": ({U.OPEN}, U.COMPLETED, Who.OWNER),
        "abort": ({U.OPEN, U.LAPSED}, U.ABORTED, Who.OWNER),
        "expire": ({U.LAPSED}, U.EXPIRED, Act.KEK_ROTATE),
    },
    "peer": {
        "accept": ({P.PROPOSED}, P.ACTIVE, Act.PEER_ACCEPT),
        "rotate_keys": ({P.ACTIVE}, P.ROTATING, Act.PEER_PROPOSE),
        "accept_keys": ({P.ROTATING}, P.ACTIVE, Act.PEER_ACCEPT),
        "discard_keys": ({P.ROTATING}, P.ACTIVE, Act.PEER_REVOKE),
        "revoke": ({P.PROPOSED, P.ACTIVE, P.ROTATING}, P.REVOKED, Act.PEER_REVOKE),
    },
    "procedure": {
        "approve": ({T.DRAFT}, T.APPROVED, Act.PROFICIENCY_PROCEDURE_APPROVE),
        "supersede": ({T.APPROVED}, T.SUPERSEDED, Act.PROFICIENCY_PROCEDURE_APPROVE),
    },
    "round": {
        "submit": ({N.OPEN}, N.OPEN, Act.PROFICIENCY_SUBMIT),
        "close": ({N.OPEN}, N.CLOSED, Act.PROFICIENCY_ROUND_CLOSE),
        "cancel": ({N.OPEN}, N.CANCELLED, Act.PROFICIENCY_ROUND_CLOSE),
    },
    "task": {
        "start": ({K.OPEN}, K.IN_PROGRESS, Act.PLAN_TASK_MOVE),
        "pause": ({K.IN_PROGRESS}, K.OPEN, Act.PLAN_TASK_MOVE),
        "finish": ({K.OPEN, K.IN_PROGRESS}, K.DONE, Act.PLAN_TASK_MOVE),
        "cancel": ({K.OPEN, K.IN_PROGRESS}, K.CANCELLED, Act.PLAN_TASK_MOVE),
    },
    "deliverable": {
        "deliver": ({D.PLANNED}, D.DELIVERED, Act.PLAN_EDIT),
        "cancel": ({D.PLANNED}, D.CANCELLED, Act.PLAN_EDIT),
    },
}
TERMINAL = {
    "agreement": {A.EXPIRED, A.TERMINATED},
    "authorization": {Z.REVOKED},
    "release": {R.APPROVED, R.DENIED},
    "visit": {V.APPROVED, V.DENIED},
    "screening hit": {H.FALSE_POSITIVE, H.TRUE_MATCH},
    "upload": {U.COMPLETED, U.ABORTED, U.EXPIRED},
    "peer": {P.REVOKED},
    "procedure": {T.SUPERSEDED},
    "round": {N.CLOSED, N.CANCELLED},
    "task": {K.DONE, K.CANCELLED},
    "deliverable": {D.DELIVERED, D.CANCELLED},
}
INITIAL = {
    "agreement": A.DRAFT,
    "authorization": Z.ACTIVE,
    "release": R.PENDING,
    "visit": V.PENDING,
    "screening hit": H.OPEN,
    "upload": U.OPEN,
    "peer": P.PROPOSED,
    "procedure": T.DRAFT,
    "round": N.OPEN,
    "task": K.OPEN,
    "deliverable": D.PLANNED,
}
# (verb, state) -> code of the refusal; every other refused move: the lifecycle's code.
CODES: dict[str, tuple[str, dict[tuple[str, StrEnum], str]]] = {
    "agreement": ("invalid_agreement_transition", {}),
    "authorization": ("invalid_authorization_transition", {}),
    "release": (
        "release_decided",
        {
            ("classify", R.CLASSIFIED): "release_not_pending",
            ("classify", R.APPROVED): "release_not_pending",
            ("classify", R.DENIED): "release_not_pending",
            ("approve", R.PENDING): "release_not_classified",
        },
    ),
    "visit": ("visit_decided", {}),
    "screening hit": ("hit_already_resolved", {}),
    "upload": ("upload_expired", {}),
    "peer": ("invalid_peer_transition", {}),
    "procedure": ("procedure_not_draft", {}),
    "round": ("round_not_open", {}),
    "task": ("task_closed", {}),
    "deliverable": ("deliverable_closed", {}),
}

IDS = [lc.name for lc in LIFECYCLES]


def test_there_is_one_table_per_lifecycle() -> None:
    assert [lc.name for lc in LIFECYCLES] == list(EXPECTED)
    assert {lc.name: lc for lc in LIFECYCLES} == {
        "agreement": AGREEMENT,
        "authorization": AUTHORIZATION,
        "release": RELEASE,
        "visit": VISIT,
        "screening hit": SCREENING_HIT,
        "upload": UPLOAD,
        "peer": PEER,
        "procedure": PROCEDURE,
        "round": ROUND,
        "task": TASK,
        "deliverable": DELIVERABLE,
    }


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
def test_every_verb_moves_from_and_to_the_states_listed(lifecycle: Lifecycle[Any]) -> None:
    expected = EXPECTED[lifecycle.name]
    assert lifecycle.verbs == tuple(expected)
    for t in lifecycle.transitions:
        assert (set(t.from_states), t.to, t.who) == expected[t.verb], t.verb
    assert lifecycle.initial == INITIAL[lifecycle.name]


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
def test_final_states_have_no_way_out(lifecycle: Lifecycle[Any]) -> None:
    assert set(lifecycle.terminal) == TERMINAL[lifecycle.name]
    for state in lifecycle.states:
        outgoing = lifecycle.verbs_from(state)
        assert (not outgoing) == lifecycle.is_terminal(state), state
    for state in lifecycle.terminal:
        for verb in lifecycle.verbs:
            with pytest.raises(RefusedMove):
                require_move(lifecycle, verb, state)


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
def test_every_state_is_reachable_from_the_initial_one(lifecycle: Lifecycle[Any]) -> None:
    # A lapsed upload is reached by the clock, not by a move.
    by_time = {UploadState.LAPSED} if lifecycle is UPLOAD else set()
    seen = {lifecycle.initial} | by_time
    frontier = list(seen)
    while frontier:
        state = frontier.pop()
        for t in lifecycle.transitions:
            if state in t.from_states and t.to not in seen:
                seen.add(t.to)
                frontier.append(t.to)
    assert seen == set(lifecycle.states)


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
def test_require_move_allows_exactly_the_table(lifecycle: Lifecycle[Any]) -> None:
    default, special = CODES[lifecycle.name]
    for state in lifecycle.states:
        for verb in lifecycle.verbs:
            move = lifecycle.transition(verb)
            if state in move.from_states:
                assert require_move(lifecycle, verb, state) is move
                assert lifecycle.allows(verb, state)
                continue
            assert not lifecycle.allows(verb, state)
            with pytest.raises(RefusedMove) as info:
                require_move(lifecycle, verb, state, subject=f"the {lifecycle.name} X")
            refused = info.value
            assert isinstance(refused, Conflict)
            assert refused.code == special.get((verb, state), default)
            assert refused.data == {
                "verb": verb,
                "state": state.value,
                "allowed": list(lifecycle.verbs_from(state)),
            }
            assert verb in refused.detail
            assert state.value in refused.detail
            assert refused.hint is not None


def test_messages_name_the_states_a_verb_needs() -> None:
    with pytest.raises(RefusedMove) as info:
        require_move(AGREEMENT, "activate", A.SUSPENDED, subject="agreement Sensor MoU")
    assert info.value.detail == "cannot activate agreement Sensor MoU: it is suspended, not a draft"
    assert info.value.hint == "allowed from suspended: resume, expire, terminate"
    with pytest.raises(RefusedMove) as info:
        require_move(VISIT, "approve", V.DENIED)
    assert info.value.detail == "cannot approve the visit: it is already denied"
    assert info.value.hint == "denied is final: no move is allowed"
    assert info.value.code == "visit_decided"


def test_unknown_verbs_are_not_in_the_table() -> None:
    assert AGREEMENT.find("reopen") is None
    assert AGREEMENT.verbs_from("not_a_state") == ()
    with pytest.raises(KeyError):
        AGREEMENT.transition("reopen")
    with pytest.raises(RefusedMove) as info:
        require_move(AGREEMENT, "reopen", A.DRAFT)
    assert info.value.code == "invalid_agreement_transition"


def test_who_names_the_permission_tables_rule() -> None:
    decide = RELEASE.transition("approve")
    assert decide.act is Act.RELEASE_DECIDE
    assert "not who asked" in decide.rule()
    assert decide.rule() == PERMISSIONS[Act.RELEASE_DECIDE].rule.describe()
    visit = VISIT.transition("approve").rule()
    assert "not the subject themself" in visit
    assert "not who asked" in visit
    owner = UPLOAD.transition("complete")
    assert owner.rule() == "the person who opened it"
    with pytest.raises(TypeError):
        _ = owner.act


def test_a_malformed_table_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        Lifecycle(
            "x",
            V.PENDING,
            (
                Transition("approve", frozenset({V.PENDING}), V.APPROVED, Act.VISIT_DECIDE),
                Transition("approve", frozenset({V.PENDING}), V.DENIED, Act.VISIT_DECIDE),
            ),
            frozenset({V.APPROVED, V.DENIED}),
            code="x",
        )
    with pytest.raises(ValueError, match="final"):
        Lifecycle(
            "x",
            V.PENDING,
            (Transition("reopen", frozenset({V.DENIED}), V.PENDING, Act.VISIT_DECIDE),),
            frozenset({V.DENIED}),
            code="x",
        )
    with pytest.raises(ValueError, match="no state"):
        Lifecycle(
            "x",
            V.PENDING,
            (Transition("approve", frozenset(), V.APPROVED, Act.VISIT_DECIDE),),
            frozenset({V.APPROVED}),
            code="x",
        )
