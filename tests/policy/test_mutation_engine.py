"""What each requirement tells the officer and the subject, and the helpers around it.

Written against the survivors of the 2026-12-06 mutation run of ``policy.engine`` and
``policy.facts``: the subject's wording of a satisfied agreement or a missing caveat,
an explanation kept for requirements a discovery does not apply, and the date
``not_released_to`` judges group membership on were not checked.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import ExportClassification, parse_control_entry
from caveat.domain.identity import Clearance, CommonLevel
from caveat.domain.labels import SchemeRegistry, parse_marking, scheme_from_mapping
from caveat.domain.labels.tlp import parse_tlp
from caveat.domain.policy import (
    Action,
    AgreementTerms,
    AuthorizationTerms,
    Context,
    DatedAgreement,
    DatedAuthorization,
    DatedEmbargo,
    Decision,
    DualNationalRule,
    EmbargoTerms,
    GrantKind,
    MemoryAgreements,
    MemoryAuthorizations,
    MemoryEmbargoes,
    MemoryScreening,
    NodeRecipient,
    Obligation,
    PolicyConfig,
    PolicyEnvironment,
    Requirement,
    RequirementResult,
    Resource,
    ScreeningHold,
    decide,
    decide_node_release,
    decide_received,
    label_facts,
    make_resource,
    not_released_to,
)
from caveat.domain.policy.facts import cleared_levels, control_facts
from tests.policy.population import NOW
from tests.policy.test_decide import GROUPS, SCHEMES, env, person, resource
from tests.policy.test_node_release import COVERED, dstl

MOU = AgreementTerms("mou-1", "Sensor MoU", frozenset({"p1"}), 3)


def _result(decision: Decision, requirement: Requirement) -> RequirementResult:
    (found,) = [r for r in decision.results if r.requirement is requirement]
    return found


def test_a_subject_is_told_an_agreement_covers_them_but_not_which() -> None:
    agreements = MemoryAgreements([DatedAgreement(MOU, organisations=frozenset({"dstl"}))])
    briton = person("GBR", org="dstl", org_nation="GBR")
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide(briton, Action.READ, item, Context(NOW, NOW, env(agreements=agreements)))
    assert decision.permitted
    agreement = _result(decision, Requirement.AGREEMENT)
    assert agreement.subject_detail == (
        "an agreement in force covers your organisation for this information"
    )
    assert "mou-1" in agreement.detail
    assert "mou-1" not in agreement.subject_detail
    assert "Sensor MoU" not in agreement.subject_detail


def test_a_subject_outside_the_project_is_not_told_which_project() -> None:
    outsider = replace(person("USA"), memberships={"p9": None})
    decision = decide(outsider, Action.READ, resource("SECRET//REL TO USA, GBR"), _ctx())
    need = _result(decision, Requirement.NEED_TO_KNOW)
    assert not need.satisfied
    assert need.subject_detail == (
        "you are not a member of the resource's project and hold no grant"
    )
    assert "p1" in need.detail


def test_missing_caveats_are_named_to_the_officer_and_counted_to_the_subject() -> None:
    item = resource("TOP SECRET//SI//NOFORN")
    uncleared = person("USA", level=4)
    caveats = _result(decide(uncleared, Action.READ, item, _ctx()), Requirement.CAVEATS)
    assert not caveats.satisfied
    assert caveats.detail == "not read on to SCI:SI"
    assert caveats.subject_detail == "you do not hold 1 of the restrictive caveats"
    read_on = person("USA", level=4, caveats={"SCI:SI": None})
    held = _result(decide(read_on, Action.READ, item, _ctx()), Requirement.CAVEATS)
    assert held.satisfied
    assert held.detail == held.subject_detail == "every restrictive caveat is held"


def test_a_discovery_keeps_the_explanation_of_what_it_does_not_require() -> None:
    outsider = replace(person("USA"), memberships={"p9": None})
    item = resource("SECRET//REL TO USA, GBR")
    read = decide(outsider, Action.READ, item, _ctx())
    discover = decide(outsider, Action.DISCOVER, item, _ctx())
    for before, after in zip(read.results, discover.results, strict=True):
        if after.applies is not True:
            assert after.applies is False
            assert (after.satisfied, after.detail, after.subject_detail) == (
                before.satisfied,
                before.detail,
                before.subject_detail,
            )
    assert any(not r.applies for r in discover.results)


def test_every_requirement_of_a_permitted_node_release_reads_satisfied() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide_node_release(dstl(), item, Context(NOW, None, COVERED))
    assert decision.permitted
    assert all(r.satisfied is True for r in decision.results)


def test_not_released_to_judges_groups_on_the_day_asked() -> None:
    label = parse_marking("SECRET//REL TO USA, NATO", groups=GROUPS, on=date(2025, 1, 1))
    facts = label_facts(label, SCHEMES)
    environment = env()
    # Finland and Sweden joined NATO in 2023 and 2024.
    assert not_released_to(facts, ["FIN", "SWE", "GBR"], environment, date(2022, 1, 1)) == [
        "FIN",
        "SWE",
    ]
    assert not_released_to(facts, ["FIN", "SWE", "GBR"], environment, date(2025, 1, 1)) == []


def _ctx() -> Context:
    return Context(NOW, NOW, env())


def test_every_action_is_explained_by_the_ten_requirements_in_order() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    for subject in (person("USA"), person("USA", org="lockheed")):
        for action in Action:
            decision = decide(subject, action, item, _ctx())
            assert [r.requirement for r in decision.results] == list(Requirement)
    originator = _result(decide(person("USA"), Action.RELEASE, item, _ctx()), Requirement(5))
    assert originator.satisfied
    assert originator.detail == "project member of the originating organisation"


def test_a_received_item_needs_no_project_or_agreement_but_every_other_requirement() -> None:
    briton = replace(person("GBR", org="dstl", org_nation="GBR"), memberships={})
    item = resource("SECRET//REL TO USA, GBR")
    assert set(decide(briton, Action.READ, item, _ctx()).failed_codes) == {
        "need_to_know",
        "agreement",
    }
    received = decide_received(briton, Action.READ, item, _ctx())
    assert received.permitted
    assert [r.requirement for r in received.results] == list(Requirement)
    for r in received.results:
        if r.requirement in (Requirement.NEED_TO_KNOW, Requirement.AGREEMENT):
            assert r.applies is False  # not None: the API writes it as false
            assert r.detail == f"a received item is in no project: {r.code} does not apply"
        else:
            assert r.applies
            assert r.satisfied
    refused = decide_received(briton, Action.READ, resource("SECRET//NOFORN"), _ctx())
    assert not refused.permitted
    assert refused.failed_codes == ["releasability"]


def test_an_account_s_problems_are_all_named() -> None:
    lapsed = Clearance(CommonLevel.SECRET, "SECRET", "USA", date(2020, 1, 1))
    broken = replace(person("USA"), active=False, mfa_enrolled=False, clearance=lapsed)
    account = _result(
        decide(broken, Action.READ, resource("SECRET//REL TO USA, GBR"), _ctx()),
        Requirement.ACCOUNT,
    )
    assert not account.satisfied
    assert account.detail == (
        "the account is suspended; no MFA is enrolled; the clearance expired on 2020-01-01"
    )


def test_a_stale_mfa_proof_asks_for_a_step_up() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    stale = Context(NOW, NOW - timedelta(hours=2), env())
    decision = decide(person("USA"), Action.READ, item, stale)
    assert decision.failed_codes == ["mfa_freshness"]
    assert decision.obligations == (Obligation("step_up_mfa", "prove MFA again, then retry", 3600),)


def test_a_decision_without_an_obligation_has_an_empty_tuple_of_them() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    fresh = Context(NOW, NOW, env())
    permitted = decide(person("USA"), Action.READ, item, fresh)
    assert permitted.permitted
    assert permitted.obligations == ()
    refused = decide(person("FRA"), Action.READ, item, fresh)
    assert not refused.permitted
    assert refused.obligations == ()


def test_a_change_by_an_outsider_names_no_project_to_them() -> None:
    outsider = replace(person("USA"), memberships={"p9": None})
    item = resource("SECRET//REL TO USA, GBR")
    need = _result(decide(outsider, Action.MODIFY, item, _ctx()), Requirement.NEED_TO_KNOW)
    assert not need.satisfied
    assert need.detail == "modify needs membership of project p1"
    assert need.subject_detail == "modify needs membership of the resource's project"


def test_a_decision_time_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        Context(NOW.replace(tzinfo=None), None, env())
    assert refused.value.code == "naive_time"
    assert refused.value.detail == "decision time must be timezone-aware"


def test_a_release_by_a_member_of_another_organisation_is_the_originator_s_call() -> None:
    contractor = person("USA", org="lockheed")
    item = resource("SECRET//REL TO USA, GBR")
    need = _result(decide(contractor, Action.RELEASE, item, _ctx()), Requirement.NEED_TO_KNOW)
    assert not need.satisfied
    assert need.detail == "release is the originator's decision (organisation afrl)"
    assert need.subject_detail == "only the originating organisation may release it"


def test_every_uncovered_control_entry_is_named() -> None:
    controls = ("ITAR:USML-XI(c)(1)", "ITAR:USML-XII(e)", "EAR:EAR99")
    item = resource("SECRET//REL TO USA, GBR", controls=controls)
    briton = person("GBR", org="dstl", org_nation="GBR")
    export = _result(decide(briton, Action.READ, item, _ctx()), Requirement(7))
    assert export.detail == "no authorization covers ITAR:USML-XI(c)(1), ITAR:USML-XII(e)"
    assert export.subject_detail == (
        "2 export-control entries need an authorization that covers you"
    )


def test_a_decision_answers_for_one_requirement_and_an_agreement_can_be_expired() -> None:
    agreements = MemoryAgreements([DatedAgreement(MOU, organisations=frozenset({"dstl"}))])
    briton = person("GBR", org="dstl", org_nation="GBR")
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide(briton, Action.READ, item, Context(NOW, NOW, env(agreements=agreements)))
    for requirement in Requirement:
        assert decision.result(requirement) == _result(decision, requirement)
    day = NOW.date()
    expired = agreements.expire("mou-1", day)
    assert [a.valid_to for a in expired.agreements] == [day - timedelta(days=1)]
    assert [a.terms for a in expired.agreements] == [MOU]
    assert agreements.expire("other", day).agreements == agreements.agreements


def test_every_nationality_a_release_misses_is_named_to_the_officer() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide(person("FRA", "DEU"), Action.READ, item, Context(NOW, NOW, env()))
    releasability = _result(decision, Requirement.RELEASABILITY)
    assert not releasability.satisfied
    assert releasability.detail.startswith("nationality DEU, FRA is not covered by REL TO ")
    assert releasability.subject_detail == "not releasable to your nationality DEU, FRA"


def test_a_multilateral_entry_without_an_originating_nation_is_left_to_any_state() -> None:
    wassenaar = ExportClassification((parse_control_entry("WA:ML11"),))
    (unknown,) = control_facts(wassenaar, None)
    assert unknown.jurisdiction == "*"
    (british,) = control_facts(wassenaar, "GBR")
    assert british.jurisdiction == "GBR"


def test_a_grant_holder_outside_the_project_is_told_the_grant_is_why() -> None:
    grantee = replace(
        person("USA"), memberships={"p9": None}, grants={("r1", GrantKind.ACCESS): None}
    )
    item = resource("SECRET//REL TO USA, GBR")
    need = _result(decide(grantee, Action.READ, item, _ctx()), Requirement.NEED_TO_KNOW)
    assert need.satisfied
    assert need.detail == "holds an explicit access grant"


def test_a_change_by_a_non_member_is_refused_as_false_not_none() -> None:
    outsider = replace(person("USA"), memberships={"p9": None})
    item = resource("SECRET//REL TO USA, GBR")
    need = _result(decide(outsider, Action.MODIFY, item, _ctx()), Requirement.NEED_TO_KNOW)
    assert need.satisfied is False
    assert need.detail == "modify needs membership of project p1"


def test_a_resource_keeps_its_kind() -> None:
    assert resource("SECRET//REL TO USA, GBR").kind == "document"


def test_an_authorization_is_in_force_from_its_first_day() -> None:
    terms = AuthorizationTerms("dsp-5", "DSP-5", frozenset({"ITAR:USML-XI(c)(1)"}))
    first = date(2026, 12, 7)
    store = MemoryAuthorizations(
        [DatedAuthorization(terms, organisations=frozenset({"dstl"}), valid_from=first)]
    )

    def on(day: date) -> list[str]:
        found = store.in_force(person_id="p", organisation_id="dstl", nations=frozenset(), on=day)
        return [t.id for t in found]

    assert on(first - timedelta(days=1)) == []
    assert on(first) == ["dsp-5"]


def test_a_node_release_names_its_resource_and_moment() -> None:
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide_node_release(dstl(), item, Context(NOW, None, COVERED))
    assert decision.resource_id == item.id
    assert decision.action is Action.READ  # a release is a read by the partner node
    assert decision.at == NOW
    assert decision.obligations == ()


def test_a_node_of_the_originating_nation_needs_no_agreement() -> None:
    # A second American node: the transfer is domestic, as for an American reader.
    american = NodeRecipient("peer-2", "afrl-node", "afrl-2", "USA", 3, frozenset())
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide_node_release(american, item, Context(NOW, None, env()))
    assert decision.permitted
    assert _result(decision, Requirement.AGREEMENT).detail == (
        "domestic: organisation and originator are both USA"
    )


def test_a_licensed_transfer_is_explained_under_its_own_requirement() -> None:
    item = resource("SECRET//REL TO USA, GBR", controls=("WA:ML11",))
    decision = decide(person("USA"), Action.READ, item, _ctx())
    export = decision.results[Requirement.EXPORT_AUTHORIZATION - 1]
    assert export.requirement is Requirement.EXPORT_AUTHORIZATION
    assert export.satisfied
    assert export.detail == "every control entry is domestic, exempt or authorized"


def test_an_unclassified_label_without_controls_is_released_to_every_nation() -> None:
    facts = label_facts(parse_marking("UNCLASSIFIED", groups=GROUPS, on=NOW.date()), SCHEMES)
    assert facts.rel_mode == "open"
    assert not_released_to(facts, ["FRA", "CHN", "USA"], env(), NOW.date()) == []


def test_a_non_member_without_a_grant_is_refused_as_false_not_none() -> None:
    outsider = replace(person("USA"), memberships={"p9": None})
    item = resource("SECRET//REL TO USA, GBR")
    need = _result(decide(outsider, Action.READ, item, _ctx()), Requirement.NEED_TO_KNOW)
    assert need.satisfied is False


def test_a_node_release_of_an_unlabelled_item_still_judges_its_export_controls() -> None:
    item = make_resource(
        id="r1", project_id="p1", kind="document", label=None, schemes=SCHEMES,
        export=ExportClassification((parse_control_entry("ITAR:USML-XI(c)(1)"),)),
    )  # fmt: skip
    decision = decide_node_release(dstl(), item, Context(NOW, None, COVERED))
    assert not decision.permitted
    export = _result(decision, Requirement.EXPORT_AUTHORIZATION)
    assert export.detail == "no authorization covers ITAR:USML-XI(c)(1)"


def test_every_screening_hold_is_named_to_the_officer() -> None:
    holds = MemoryScreening(
        [
            ("s1", ScreeningHold("h1", "person", "name match")),
            ("afrl", ScreeningHold("h2", "organisation", "address match")),
        ]
    )
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide(person("USA"), Action.READ, item, Context(NOW, NOW, env(screening=holds)))
    screening = _result(decision, Requirement.SCREENING)
    assert not screening.satisfied
    assert screening.detail == (
        "screening hold: h1 on person: name match; h2 on organisation: address match"
    )


def test_a_grant_ending_at_the_moment_of_the_decision_is_no_longer_held() -> None:
    outsider = replace(person("USA"), memberships={"p9": None})
    item = resource("SECRET//REL TO USA, GBR")
    ending = replace(outsider, grants={("r1", GrantKind.ACCESS): NOW})
    assert not decide(ending, Action.READ, item, _ctx()).permitted
    later = replace(outsider, grants={("r1", GrantKind.ACCESS): NOW + timedelta(seconds=1)})
    assert decide(later, Action.READ, item, _ctx()).permitted


def _no_originating_nation(marking: str) -> Resource:
    """A NATO label with no originator: the NATO scheme implies no nation."""
    label = parse_marking(marking, groups=GROUPS, on=NOW.date(), schemes=SCHEMES)
    assert label.originator is None
    return make_resource(id="r1", project_id="p1", kind="document", label=label, schemes=SCHEMES)


@pytest.mark.parametrize(
    ("marking", "what"),
    [
        ("//NATO SECRET//NOFORN", "NOFORN"),
        ("//NATO SECRET", "classified and not released abroad"),
    ],
)
def test_a_label_with_no_originating_nation_is_refused_and_says_so(marking: str, what: str) -> None:
    briton = person("GBR", org="dstl", org_nation="GBR")
    decision = decide(briton, Action.READ, _no_originating_nation(marking), _ctx())
    releasability = _result(decision, Requirement.RELEASABILITY)
    assert releasability.satisfied is False  # fails closed, never undecided
    assert releasability.detail == f"{what}, and the originator's nation is unknown"
    agreement = _result(decision, Requirement.AGREEMENT)
    assert agreement.satisfied is False
    assert "(originator an unknown nation; 0 agreements considered)" in agreement.detail


def test_every_nationality_the_dual_national_rule_excuses_is_named() -> None:
    item = resource("UNCLASSIFIED//REL TO USA, GBR", org="dstl", nation="GBR")
    sam = person("GBR", "IND", "PAK", org="northwind", org_nation="GBR")
    rule = env(config=PolicyConfig(dual_national=DualNationalRule(0)))
    releasability = _result(
        decide(sam, Action.READ, item, Context(NOW, NOW, rule)), Requirement.RELEASABILITY
    )
    assert releasability.satisfied
    assert releasability.detail.startswith(
        "IND, PAK not on REL TO GBR, USA; excused by the dual/third-country national rule ("
    )


def test_a_release_by_another_organisation_is_refused_as_false_not_none() -> None:
    member = person("GBR", org="dstl", org_nation="GBR")
    item = resource("SECRET//REL TO USA, GBR")  # originated by afrl
    need = _result(decide(member, Action.RELEASE, item, _ctx()), Requirement.NEED_TO_KNOW)
    assert need.satisfied is False
    assert need.detail == "release is the originator's decision (organisation afrl)"


def test_a_proof_of_this_very_second_meets_a_limit_of_zero() -> None:
    # A level may ask for MFA proven at the moment of access: an age of zero seconds.
    now_only = env(config=PolicyConfig(mfa_max_age=(None, None, None, 0, 0)))
    item = resource("SECRET//REL TO USA, GBR")
    decision = decide(person("USA"), Action.READ, item, Context(NOW, NOW, now_only))
    assert _result(decision, Requirement.MFA_FRESHNESS).satisfied
    later = Context(NOW, NOW - timedelta(seconds=1), now_only)
    assert not _result(
        decide(person("USA"), Action.READ, item, later), Requirement.MFA_FRESHNESS
    ).satisfied


def test_a_step_a_scheme_refuses_still_leaves_the_steps_above_it_cleared() -> None:
    # An invented national scheme with no equivalent (deny) for RESTRICTED: a clearance
    # it grants covers secret and top secret still, never restricted.
    def level(i: int, name: str, common: int) -> dict[str, object]:
        return {
            "ordinal": i,
            "id": name,
            "name": name,
            "abbreviation": name[0],
            "banner": f"ISL {name}",
            "portion": f"ISL {name[0]}",
            "common": common,
        }

    icelandic = scheme_from_mapping(
        {
            "schema": "caveat.scheme/1",
            "scheme": "ISL",
            "name": "ISL",
            "nation": "ISL",
            "capco_foreign": True,
            "source": "s",
            "source_date": "2020-01-01",
            "as_of": "2020-01-01",
            "levels": [
                level(0, "OPEN", 0),
                level(1, "CLOSED", 2),
                level(2, "TIGHT", 3),
                level(3, "SEALED", 4),
            ],
            "no_equivalent": [{"common": 1, "rule": "deny", "source": "s"}],
        }
    )
    schemes = SchemeRegistry([*SCHEMES.all(), icelandic])
    islander = person("ISL", org="lhg", org_nation="ISL", level=3)
    environment = PolicyEnvironment(groups=GROUPS, schemes=schemes)
    assert cleared_levels(islander, environment, NOW) == frozenset({0, 2, 3})


def test_an_informative_category_is_no_caveat_a_reader_must_hold() -> None:
    label = parse_marking("SECRET//NOFORN", groups=GROUPS, on=NOW.date())
    label = label.with_categories([*label.categories, parse_tlp("TLP:AMBER")])
    assert label_facts(label, SCHEMES).held_caveats == frozenset()


def test_every_applying_embargo_is_named_to_the_officer() -> None:
    embargoes = MemoryEmbargoes(
        [
            DatedEmbargo(EmbargoTerms("e1", "USA", "IRN", "31 CFR 560")),
            DatedEmbargo(EmbargoTerms("e2", "USA", "PRK", "31 CFR 510")),
        ]
    )
    item = resource("SECRET//REL TO USA, GBR")
    twice = person("GBR", "IRN", "PRK", org="dstl", org_nation="GBR")
    decision = decide(twice, Action.READ, item, Context(NOW, NOW, env(embargoes=embargoes)))
    embargo = _result(decision, Requirement.EMBARGO)
    assert embargo.satisfied is False
    assert embargo.detail == (
        "embargo e1: USA on IRN (31 CFR 560); embargo e2: USA on PRK (31 CFR 510)"
    )


def test_every_other_nationality_of_an_originator_only_reader_is_named() -> None:
    item = resource("SECRET//NOFORN")
    reader = person("USA", "FRA", "DEU")
    releasability = _result(decide(reader, Action.READ, item, _ctx()), Requirement.RELEASABILITY)
    assert releasability.detail == (
        "NOFORN: releasable to USA nationals only; also a national of DEU, FRA"
    )
