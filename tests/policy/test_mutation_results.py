"""Each result's ``satisfied`` flag and wording where a requirement fails, and a node
release's results in full.

Written against the survivors of the 2026-12-07 policy sample: a failed account or
clearance recorded as ``None`` rather than ``False`` (``permitted`` only tests truth, but
callers and the officer's view read the flag), an unlabelled resource's explanation, the
age of a stale MFA proof, an MFA proof exactly as old as the limit, the wording and number
of a node release's results, and ORCON on a relabel of an implied originator.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from caveat.domain.identity import Clearance, CommonLevel
from caveat.domain.labels import parse_marking
from caveat.domain.policy import (
    Action,
    Context,
    Decision,
    Relabel,
    Requirement,
    RequirementResult,
    Resource,
    decide,
    decide_node_release,
    make_resource,
    what_if,
)
from caveat.domain.policy.fingerprint import Scope, decision_fingerprint
from tests.policy.population import NOW
from tests.policy.test_decide import DAY, GROUPS, SCHEMES, env, person, resource
from tests.policy.test_node_release import COVERED, dstl

UNLABELLED = "the resource carries no label: unlabelled data is never shown"


def _result(decision: Decision, requirement: Requirement) -> RequirementResult:
    (found,) = [r for r in decision.results if r.requirement is requirement]
    return found


def _unlabelled_item() -> Resource:
    return make_resource(id="r0", project_id="p1", kind="document", label=None, schemes=SCHEMES)


def test_a_suspended_account_and_a_short_clearance_are_false_not_merely_falsy() -> None:
    suspended = replace(person("USA", level=1), active=False)
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide(suspended, Action.READ, item, Context(NOW, NOW, env()))
    account = _result(decision, Requirement.ACCOUNT)
    assert account.satisfied is False
    assert account.detail == account.subject_detail == "the account is suspended"
    clearance = _result(decision, Requirement.CLEARANCE)
    assert clearance.satisfied is False
    assert clearance.subject_detail == "your clearance does not cover secret information"


def test_an_unlabelled_resource_is_explained_to_officer_and_subject() -> None:
    item = _unlabelled_item()
    decision = decide(person("USA"), Action.READ, item, Context(NOW, NOW, env()))
    for requirement in (Requirement.CLEARANCE, Requirement.RELEASABILITY, Requirement.CAVEATS):
        found = _result(decision, requirement)
        assert (found.satisfied, found.applies) == (False, True)
        assert found.detail == found.subject_detail == UNLABELLED


def test_a_stale_mfa_proof_is_explained_with_its_age() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    stale = Context(NOW, NOW - timedelta(seconds=5000), env())
    mfa = _result(decide(person("USA"), Action.READ, item, stale), Requirement.MFA_FRESHNESS)
    assert not mfa.satisfied
    assert mfa.detail == "last MFA 5000 s ago; secret needs MFA within 3600 s"


def test_a_node_release_of_an_unlabelled_item_has_the_ten_results_once_each() -> None:
    decision = decide_node_release(dstl(), _unlabelled_item(), Context(NOW, None, COVERED))
    assert not decision.permitted
    assert [r.requirement for r in decision.results] == list(Requirement)
    assert [(r.requirement, r.satisfied, r.applies, r.detail) for r in decision.results] == [
        (Requirement.ACCOUNT, True, True, "an active peer node (dstl-node)"),
        (Requirement.CLEARANCE, False, True, UNLABELLED),
        (Requirement.RELEASABILITY, False, True, UNLABELLED),
        (Requirement.CAVEATS, False, True, UNLABELLED),
        (
            Requirement.NEED_TO_KNOW,
            True,
            False,
            "a release to a node is scoped by the agreements its peering names",
        ),
        (Requirement.AGREEMENT, False, True, UNLABELLED),
        (Requirement.EXPORT_AUTHORIZATION, True, True, "no export-control entries"),
        (Requirement.SCREENING, True, True, "no screening hold"),
        (Requirement.EMBARGO, False, True, UNLABELLED),
        (Requirement.MFA_FRESHNESS, True, False, "a node proves itself by signature"),
    ]


def test_a_node_release_names_the_accreditation_and_the_level() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide_node_release(dstl(level=2), item, Context(NOW, None, COVERED))
    clearance = _result(decision, Requirement.CLEARANCE)
    assert clearance.satisfied is False
    assert clearance.detail == "the node is accredited to confidential; the resource is secret"
    assert clearance.subject_detail == clearance.detail


def test_an_mfa_proof_exactly_as_old_as_the_limit_is_fresh() -> None:
    item = resource("SECRET//REL TO USA, GBR")  # secret: MFA within 3600 s
    at_limit = Context(NOW, NOW - timedelta(seconds=3600), env())
    assert decide(person("USA"), Action.READ, item, at_limit).permitted
    past = Context(NOW, NOW - timedelta(seconds=3601), env())
    assert decide(person("USA"), Action.READ, item, past).failed_codes == ["mfa_freshness"]


def test_a_relabel_of_an_implied_originator_names_the_resource_s_organisation() -> None:
    # A British marking naming nobody: the originator is implied (GBR), the organisation
    # is the resource's. Relabelled ORCON, that organisation holds it and no other does.
    implied = make_resource(
        id="r1",
        project_id="p1",
        kind="document",
        label=parse_marking("//GBR SECRET//REL TO USA, GBR", groups=GROUPS, on=DAY),
        schemes=SCHEMES,
        originator_org_id="dstl",
    )
    orcon = parse_marking("SECRET//ORCON/REL TO USA, GBR", groups=GROUPS, on=DAY)
    ctx = Context(NOW, NOW, env())
    own = what_if(
        person("GBR", org="dstl", org_nation="GBR"), Action.READ, implied, ctx, [Relabel(orcon)]
    )
    assert own.after.permitted
    other = person("GBR", org="qinetiq", org_nation="GBR")
    assert what_if(other, Action.READ, implied, ctx, [Relabel(orcon)]).after.failed_codes == [
        "caveats"
    ]


def test_an_expired_clearance_is_explained_as_not_in_date() -> None:
    expired = Clearance(CommonLevel.SECRET, "X", "USA", date(2020, 1, 1))
    lapsed = replace(person("USA"), clearance=expired)
    item = resource("SECRET//REL TO USA, GBR")
    clearance = _result(decide(lapsed, Action.READ, item, _now()), Requirement.CLEARANCE)
    assert clearance.satisfied is False
    assert clearance.detail == (
        "no clearance in date: the resource is secret; levels covered: unclassified"
    )


def test_two_ages_of_an_mfa_proof_in_one_freshness_class_share_a_fingerprint() -> None:
    # The age only words the explanation; its freshness class (mfa_levels) is in whole.
    subject = person("USA")
    environment = env()
    scope = Scope(frozenset({"p1"}), "r")
    prints = []
    for seconds in (10, 20):
        facts = Context(NOW, NOW - timedelta(seconds=seconds), environment).facts(subject)
        prints.append(decision_fingerprint(subject, facts, environment.config, scope))
    assert prints[0] == prints[1]


def _now() -> Context:
    return Context(NOW, NOW, env())


def test_a_decision_records_the_moment_it_was_taken() -> None:
    later = NOW + timedelta(days=1)
    decision = decide(
        person("USA"),
        Action.READ,
        resource("SECRET//REL TO USA, GBR"),
        Context(later, later, env()),
    )
    assert decision.at == later


def test_a_member_modifying_is_told_which_project_admits_them() -> None:
    decision = decide(person("USA"), Action.MODIFY, resource("SECRET//REL TO USA, GBR"), _now())
    need = _result(decision, Requirement.NEED_TO_KNOW)
    assert need.satisfied is True
    assert need.detail == need.subject_detail == "member of project p1"
