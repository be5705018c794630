"""What-if answers an officer relies on, change by change, and explanations field by field.

Written against the survivors of the 2026-12-04 mutation run of ``policy.whatif`` and
``policy.explain``: memberships, clearances, times and expired agreements were not
exercised through ``what_if``, and ``explain`` was not called by the selected tests.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from caveat.domain.export_control import ExportClassification, parse_control_entry
from caveat.domain.groups import builtin_directory
from caveat.domain.identity import Clearance, CommonLevel
from caveat.domain.labels import Originator, builtin_schemes, parse_marking
from caveat.domain.policy import (
    Action,
    AddMembership,
    AgreementTerms,
    Audience,
    Context,
    DatedAgreement,
    ExpireAgreement,
    MemoryAgreements,
    PolicyEnvironment,
    Relabel,
    RemoveMembership,
    RemoveNationality,
    Requirement,
    Resource,
    Subject,
    decide,
    explain,
    make_resource,
    what_if,
)
from caveat.domain.policy.whatif import AtTime, SetClearance, WhatIf
from tests.policy.population import NOW

GROUPS = builtin_directory()
SCHEMES = builtin_schemes()
DAY = NOW.date()


def _env(agreements: MemoryAgreements | None = None) -> PolicyEnvironment:
    if agreements is None:
        return PolicyEnvironment(groups=GROUPS, schemes=SCHEMES)
    return PolicyEnvironment(groups=GROUPS, schemes=SCHEMES, agreements=agreements)


def _ctx(agreements: MemoryAgreements | None = None) -> Context:
    return Context(NOW, NOW, _env(agreements))


def _resource(marking: str, *, org: str = "afrl", nation: str = "USA") -> Resource:
    label = replace(
        parse_marking(marking, groups=GROUPS, on=DAY), originator=Originator(org, nation)
    )
    return make_resource(
        id="r1", project_id="p1", kind="document", label=label, schemes=SCHEMES,
        originator_org_id=org,
    )  # fmt: skip


def _person(
    *nations: str,
    org: str = "afrl",
    org_nation: str = "USA",
    clearance: Clearance | None = None,
    memberships: dict[str, None] | None = None,
) -> Subject:
    return Subject(
        id="s1",
        username="s",
        organisation_id=org,
        organisation_nation=org_nation,
        active=True,
        mfa_enrolled=True,
        citizenships=frozenset(nations or (org_nation,)),
        clearance=clearance,
        memberships={"p1": None} if memberships is None else memberships,
    )


SECRET_USA = Clearance(CommonLevel.SECRET, "SECRET", "USA", date(2030, 1, 1))


def _detail(result: WhatIf, requirement: Requirement) -> str:
    (found,) = [r.detail for r in result.after.results if r.requirement is requirement]
    return found


def test_removing_a_nationality_loses_a_release_to_it() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    briton = _person("GBR", "FRA", clearance=SECRET_USA)
    result = what_if(briton, Action.READ, r, _ctx(), [RemoveNationality("FRA")])
    assert result.before.failed_codes == ["releasability"]
    assert result.after.permitted


def test_joining_and_leaving_projects() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    outsider = _person("USA", clearance=SECRET_USA, memberships={"p9": None})
    joined = what_if(outsider, Action.READ, r, _ctx(), [AddMembership("p1")])
    assert not joined.before.permitted
    assert joined.after.permitted
    member = _person("USA", clearance=SECRET_USA, memberships={"p1": None, "p9": None})
    left = what_if(member, Action.READ, r, _ctx(), [RemoveMembership("p1")])
    assert left.before.permitted
    assert not left.after.permitted
    stays = what_if(member, Action.READ, r, _ctx(), [RemoveMembership("p9")])
    assert stays.after.permitted
    assert stays.changed == ()


def test_a_new_clearance_without_an_old_one_runs_from_today() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    uncleared = _person("USA")
    result = what_if(uncleared, Action.READ, r, _ctx(), [SetClearance(CommonLevel.TOP_SECRET)])
    assert result.before.failed_codes == ["clearance"]
    assert result.after.permitted
    assert result.changed == (Requirement.CLEARANCE,)


def test_a_new_level_keeps_the_old_granting_nation_and_expiry() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    # Granted by Britain to a US organisation's employee: the UK table covers RESTRICTED
    # (OFFICIAL-SENSITIVE) at level 1; the US table protects it as CONFIDENTIAL.
    british = Clearance(CommonLevel.SECRET, "SECRET", "GBR", date(2030, 1, 1))
    person = _person("USA", clearance=british)
    lowered = what_if(person, Action.READ, r, _ctx(), [SetClearance(CommonLevel.RESTRICTED)])
    assert _detail(lowered, Requirement.CLEARANCE) == (
        "clearance does not reach: the resource is secret; levels covered: unclassified, restricted"
    )
    lapsed = replace(british, expires=DAY - timedelta(days=1))
    expired = _person("USA", clearance=lapsed)
    raised = what_if(expired, Action.READ, r, _ctx(), [SetClearance(CommonLevel.TOP_SECRET)])
    assert "clearance" in raised.after.failed_codes
    renewed = what_if(
        expired,
        Action.READ,
        r,
        _ctx(),
        [SetClearance(CommonLevel.SECRET, DAY + timedelta(days=30))],
    )
    assert renewed.after.permitted


def test_removing_the_clearance() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    result = what_if(
        _person("USA", clearance=SECRET_USA), Action.READ, r, _ctx(), [SetClearance(None)]
    )
    assert result.before.permitted
    assert result.after.failed_codes == ["clearance"]


def test_deciding_at_another_time() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    ends = Clearance(CommonLevel.SECRET, "SECRET", "USA", DAY + timedelta(days=1))
    later = what_if(
        _person("USA", clearance=ends), Action.READ, r, _ctx(), [AtTime(NOW + timedelta(days=3))]
    )
    assert later.before.permitted
    assert "clearance" in later.after.failed_codes


def _agreements(**parties: Any) -> MemoryAgreements:
    terms = AgreementTerms("mou-1", "MoU", frozenset({"p1"}), 3)
    return MemoryAgreements([DatedAgreement(terms, valid_from=DAY - timedelta(days=9), **parties)])


def test_expiring_one_agreement_leaves_the_others_in_force() -> None:
    r = _resource("SECRET//REL TO USA, GBR")
    bob = _person("GBR", org="dstl", org_nation="GBR", clearance=SECRET_USA)
    for parties in (
        _agreements(organisations=frozenset({"dstl"})),
        _agreements(nations=frozenset({"GBR"})),
    ):
        other = what_if(bob, Action.DISCOVER, r, _ctx(parties), [ExpireAgreement("mou-2")])
        assert other.before.permitted
        assert other.after.permitted
        ended = what_if(bob, Action.DISCOVER, r, _ctx(parties), [ExpireAgreement("mou-1")])
        assert ended.after.failed_codes == ["agreement"]


def test_a_relabel_naming_its_own_originator_keeps_it() -> None:
    r = _resource("SECRET//NOFORN", org="afrl", nation="USA")
    briton = _person("GBR", org="dstl", org_nation="GBR", clearance=SECRET_USA)
    british = replace(
        parse_marking("SECRET//NOFORN", groups=GROUPS, on=DAY), originator=Originator("dstl", "GBR")
    )
    result = what_if(briton, Action.READ, r, _ctx(), [Relabel(british)])
    assert result.before.failed_codes == ["releasability", "agreement"]
    assert result.after.permitted


def test_the_officer_and_subject_explanations_carry_the_decision() -> None:
    r = _resource("SECRET//NOFORN")
    decision = decide(
        _person("GBR", clearance=SECRET_USA), Action.READ, r, Context(NOW, None, _env())
    )
    for audience in Audience:
        shown = explain(decision, audience)
        assert shown.audience is audience
        assert (shown.subject_id, shown.resource_id, shown.action) == ("s1", "r1", "read")
        assert shown.permitted is False
        assert shown.failed == tuple(decision.failed_codes)
        assert shown.obligations == decision.obligations
        assert shown.obligations
        assert [
            (e.number, e.code, e.title, e.applies, e.satisfied) for e in shown.requirements
        ] == [
            (int(r.requirement), r.code, r.requirement.title, r.applies, r.satisfied)
            for r in decision.results
        ]
        wanted = [
            r.detail if audience is Audience.OFFICER else r.subject_detail for r in decision.results
        ]
        assert [e.detail for e in shown.requirements] == wanted
        assert shown.summary() == "deny read: " + ", ".join(decision.failed_codes)


def test_a_relabel_to_another_originator_moves_its_export_controls_with_it() -> None:
    # A multilateral entry is licensed by the originating state: relabelled as
    # British, a British reader's transfer is domestic and needs no licence.
    label = replace(
        parse_marking("SECRET//REL TO USA, GBR", groups=GROUPS, on=DAY),
        originator=Originator("afrl", "USA"),
    )
    r = make_resource(
        id="r1", project_id="p1", kind="document", label=label, schemes=SCHEMES,
        export=ExportClassification((parse_control_entry("WA:ML11"),)), originator_org_id="afrl",
    )  # fmt: skip
    briton = _person("GBR", org="dstl", org_nation="GBR", clearance=SECRET_USA)
    british = replace(label, originator=Originator("dstl", "GBR"))
    result = what_if(briton, Action.READ, r, _ctx(), [Relabel(british)])
    assert result.before.failed_codes == ["agreement", "export_authorization"]
    assert result.after.permitted
