"""The policy decision point, requirement by requirement, and its laws."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.export_control import ExportClassification, parse_control_entry
from caveat.domain.groups import builtin_directory
from caveat.domain.identity import Clearance, CommonLevel
from caveat.domain.labels import Originator, builtin_schemes, parse_marking
from caveat.domain.policy import (
    Action,
    AddNationality,
    AgreementTerms,
    Audience,
    Context,
    DatedAgreement,
    DualNationalRule,
    ExpireAgreement,
    GrantKind,
    MemoryAgreements,
    MemoryScreening,
    PolicyConfig,
    PolicyEnvironment,
    Relabel,
    Requirement,
    Resource,
    ScreeningHold,
    Subject,
    decide,
    explain,
    make_resource,
    what_if,
)
from tests.policy.population import ACTIONS, NOW, mfa_at, random_population

GROUPS = builtin_directory()
SCHEMES = builtin_schemes()
DAY = NOW.date()


def env(**kw: object) -> PolicyEnvironment:
    return PolicyEnvironment(groups=GROUPS, schemes=SCHEMES, **kw)  # type: ignore[arg-type]


def resource(
    marking: str, *, org: str = "afrl", nation: str = "USA", controls: tuple[str, ...] = ()
) -> Resource:
    label = parse_marking(marking, groups=GROUPS, on=DAY)
    label = replace(label, originator=Originator(org, nation))
    export = ExportClassification(tuple(parse_control_entry(c) for c in controls))
    return make_resource(
        id="r1",
        project_id="p1",
        kind="document",
        label=label,
        schemes=SCHEMES,
        export=export,
        originator_org_id=org,
    )


def person(
    *nations: str, org: str = "afrl", org_nation: str = "USA", level: int = 3, **kw: object
) -> Subject:
    clearance = Clearance(CommonLevel(level), "X", kw.pop("granting", org_nation), date(2030, 1, 1))  # type: ignore[arg-type]
    return Subject(
        id="s1",
        username="s",
        organisation_id=org,
        organisation_nation=org_nation,
        active=True,
        mfa_enrolled=True,
        citizenships=frozenset(nations or (org_nation,)),
        clearance=clearance,
        memberships={"p1": None},
        **kw,  # type: ignore[arg-type]
    )


def ctx(environment: PolicyEnvironment | None = None, mfa: datetime | None = NOW) -> Context:
    return Context(NOW, mfa, environment or env())


def failed(
    s: Subject, r: Resource, action: Action = Action.READ, c: Context | None = None
) -> set[str]:
    return set(decide(s, action, r, c or ctx()).failed_codes)


def test_a_domestic_member_with_clearance_reads() -> None:
    d = decide(person("USA"), Action.READ, resource("SECRET//REL TO USA, GBR"), ctx())
    assert d.permitted
    assert d.failed == ()
    assert len(d.results) == 10


def test_every_requirement_is_listed_even_after_a_failure() -> None:
    d = decide(person("FRA", level=1), Action.READ, resource("SECRET//NOFORN"), ctx(mfa=None))
    assert [int(r.requirement) for r in d.results] == list(range(1, 11))
    assert {"clearance", "releasability", "mfa_freshness"} <= set(d.failed_codes)
    assert d.obligations[0].code == "step_up_mfa"


def test_unlabelled_is_denied() -> None:
    r = make_resource(id="r0", project_id="p1", kind="document", label=None, schemes=SCHEMES)
    assert {"clearance", "releasability", "caveats"} <= failed(person("USA"), r, Action.DISCOVER)


def test_dual_national_fails_releasability_unless_the_rule_is_configured() -> None:
    rel = resource("UNCLASSIFIED//REL TO USA, GBR", org="dstl", nation="GBR")
    sam = person("GBR", "IND", org="northwind", org_nation="GBR")
    assert failed(sam, rel) == {"releasability"}
    rule = env(config=PolicyConfig(dual_national=DualNationalRule(0)))
    assert failed(sam, rel, c=ctx(rule)) == set()
    secret = resource("SECRET//REL TO USA, GBR", org="dstl", nation="GBR")
    assert failed(sam, secret, c=ctx(rule)) == {"releasability"}  # 126.18: unclassified only
    assert failed(
        person("GBR", "USA", org="dstl", org_nation="GBR"), resource("SECRET//NOFORN")
    ) == {"releasability", "agreement"}


def test_groups_count_for_releasability() -> None:
    assert (
        failed(person("NZL", org="x", org_nation="USA"), resource("SECRET//REL TO USA, FVEY"))
        == set()
    )
    assert failed(
        person("FRA", org="x", org_nation="USA"), resource("SECRET//REL TO USA, FVEY")
    ) == {"releasability"}


def test_clearance_goes_through_the_equivalence_tables() -> None:
    nc = resource("//NATO CONFIDENTIAL//REL TO USA, GBR, NATO")
    # The UK protects NATO CONFIDENTIAL as SECRET: a UK clearance at confidential is not enough.
    assert "clearance" in failed(person("GBR", org_nation="GBR", level=2), nc)
    assert "clearance" not in failed(person("DEU", org_nation="DEU", level=2), nc)


def test_orcon_needs_the_originator_or_its_grant() -> None:
    orcon = resource("SECRET//ORCON/REL TO USA, GBR", org="dstl", nation="GBR")
    bob = person("GBR", org="dstl", org_nation="GBR")
    other = person("GBR", org="qinetiq", org_nation="GBR")
    assert failed(bob, orcon) == set()
    assert failed(other, orcon) == {"caveats"}
    granted = replace(other, grants={("r1", GrantKind.ORIGINATOR): None})
    assert failed(granted, orcon) == set()


def test_need_to_know_and_actions() -> None:
    r = resource("SECRET//REL TO USA, GBR")
    outsider = replace(person("USA"), memberships={})
    assert failed(outsider, r) == {"need_to_know"}
    grantee = replace(outsider, grants={("r1", GrantKind.ACCESS): None})
    assert failed(grantee, r) == set()
    assert failed(grantee, r, Action.MODIFY) == {"need_to_know"}
    assert failed(person("USA", org="other"), r, Action.RELEASE) == {"need_to_know"}
    expired = replace(outsider, grants={("r1", GrantKind.ACCESS): NOW - timedelta(seconds=1)})
    assert failed(expired, r) == {"need_to_know"}


def test_agreements_export_screening_and_embargo() -> None:
    r = resource("SECRET//REL TO USA, GBR", controls=("ITAR:USML-XI(c)(1)", "EAR:EAR99"))
    bob = person("GBR", org="dstl", org_nation="GBR")
    assert failed(bob, r) == {"agreement", "export_authorization"}
    assert failed(bob, r, Action.DISCOVER) == {"agreement"}
    agreements = MemoryAgreements(
        [
            DatedAgreement(
                AgreementTerms("mou-1", "MoU", frozenset({"p1"}), 3),
                organisations=frozenset({"dstl"}),
            )
        ]
    )
    covered = env(agreements=agreements)
    assert failed(bob, r, c=ctx(covered)) == {"export_authorization"}
    held = env(
        agreements=agreements,
        screening=MemoryScreening([("dstl", ScreeningHold("h1", "organisation", "x"))]),
    )
    assert "screening" in failed(bob, r, c=ctx(held))
    later = what_if(bob, Action.DISCOVER, r, ctx(covered), [ExpireAgreement("mou-1")])
    assert later.before.permitted
    assert not later.after.permitted
    assert later.changed == (Requirement.AGREEMENT,)


def test_what_if_a_nationality_is_added() -> None:
    r = resource("SECRET//REL TO USA, GBR")
    result = what_if(person("USA"), Action.READ, r, ctx(), [AddNationality("FRA")])
    assert result.before.permitted
    assert result.after.failed_codes == ["releasability"]


def test_what_if_the_resource_were_labelled_otherwise() -> None:
    r = resource("SECRET//NOFORN", org="afrl", nation="USA")
    bob = person("GBR", org="afrl")
    wider = parse_marking("SECRET//REL TO USA, GBR", groups=GROUPS, on=DAY)
    result = what_if(bob, Action.READ, r, ctx(), [Relabel(wider)])
    assert result.before.failed_codes == ["releasability"]
    assert result.after.permitted
    assert result.changed == (Requirement.RELEASABILITY,)
    # The originator stays: a British report marked NOFORN stays releasable to Britons.
    british = resource("SECRET//REL TO USA, GBR", org="dstl", nation="GBR")
    briton = person("GBR", org="dstl", org_nation="GBR")
    noforn = parse_marking("SECRET//NOFORN", groups=GROUPS, on=DAY)  # names no originator
    assert what_if(briton, Action.READ, british, ctx(), [Relabel(noforn)]).after.permitted
    american = person("USA")
    kept = what_if(american, Action.READ, british, ctx(), [Relabel(noforn)])
    assert "releasability" not in kept.before.failed_codes
    assert "releasability" in kept.after.failed_codes
    # A label whose scheme implied the originator (a British marking naming nobody):
    # the nation it implied stays, though the new marking is in the US scheme.
    implied = make_resource(
        id="r1",
        project_id="p1",
        kind="document",
        label=parse_marking("//GBR SECRET//REL TO USA, GBR", groups=GROUPS, on=DAY),
        schemes=SCHEMES,
        originator_org_id="dstl",
    )
    assert implied.label is not None
    assert implied.label.originator is None
    moved = what_if(briton, Action.READ, implied, ctx(), [Relabel(noforn)])
    assert moved.after.permitted
    # An ORCON marking still names the same originating organisation.
    orcon = parse_marking("SECRET//ORCON/REL TO USA, GBR", groups=GROUPS, on=DAY)
    outsider = person("GBR", org="dstl", org_nation="GBR")
    held = what_if(outsider, Action.READ, r, ctx(), [Relabel(orcon)])
    assert "caveats" not in held.before.failed_codes
    assert "caveats" in held.after.failed_codes
    # Higher than the reader's clearance: the hypothetical label is decided like a real one.
    higher = parse_marking("TOP SECRET//REL TO USA, GBR", groups=GROUPS, on=DAY)
    assert what_if(bob, Action.READ, r, ctx(), [Relabel(higher)]).after.failed_codes == [
        "clearance"
    ]


def test_the_subject_view_names_no_compartments_agreements_or_hits() -> None:
    r = resource("SECRET//SI-G ABCD//ORCON/REL TO USA, GBR", org="dstl", nation="GBR")
    held = env(screening=MemoryScreening([("s1", ScreeningHold("hit-77", "person", "OFAC SDN"))]))
    d = decide(person("GBR", org="q", org_nation="GBR"), Action.READ, r, ctx(held))
    officer = " ".join(x.detail for x in explain(d, Audience.OFFICER).requirements)
    subject = " ".join(x.detail for x in explain(d, Audience.SUBJECT).requirements)
    assert "SI-G ABCD" in officer
    assert "hit-77" in officer
    assert "SI-G ABCD" not in subject
    assert "hit-77" not in subject
    assert "OFAC" not in subject
    assert explain(d, Audience.SUBJECT).failed == explain(d, Audience.OFFICER).failed


def test_the_subject_view_never_names_an_agreement_that_covers_them() -> None:
    # ADR 0006: agreement ids and titles are for officers, also when the agreement is
    # the reason a read is permitted.
    r = resource("SECRET//REL TO USA, GBR")
    bob = person("GBR", org="dstl", org_nation="GBR")
    terms = AgreementTerms("mou-hx-7", "Hypersonics MoU", frozenset({"p1"}), 3)
    covered = env(
        agreements=MemoryAgreements([DatedAgreement(terms, organisations=frozenset({"dstl"}))])
    )
    d = decide(bob, Action.READ, r, ctx(covered))
    assert d.permitted
    officer = " ".join(x.detail for x in explain(d, Audience.OFFICER).requirements)
    subject = " ".join(x.detail for x in explain(d, Audience.SUBJECT).requirements)
    assert "mou-hx-7" in officer
    assert "Hypersonics MoU" in officer
    assert "mou-hx-7" not in subject
    assert "Hypersonics" not in subject


def test_no_role_appears_in_the_policy() -> None:
    import inspect

    from caveat.domain.policy import engine, facts

    for module in (engine, facts):
        assert "Role" not in inspect.getsource(module)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), step=st.integers(1, 4))
def test_more_clearance_never_loses_access(seed: int, step: int) -> None:
    """Monotonicity: raising a clearance (or adding a grant) never turns a permit into a deny."""
    import random

    population = random_population(seed, subjects=8, resources=12)
    environment = population.environment()
    rng = random.Random(seed)
    for s in population.subjects:
        c = Context(NOW, mfa_at(rng), environment)
        if s.clearance is None:
            continue
        level = CommonLevel(min(4, int(s.clearance.level) + step))
        higher = replace(s, clearance=replace(s.clearance, level=level))
        granted = replace(
            s, grants={**s.grants, **{(r.id, GrantKind.ACCESS): None for r in population.resources}}
        )
        for r in population.resources:
            for action in ACTIONS:
                if decide(s, action, r, c).permitted:
                    assert decide(higher, action, r, c).permitted
                    assert decide(granted, action, r, c).permitted


def test_decide_needs_an_aware_time() -> None:
    import pytest

    from caveat.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        Context(datetime(2026, 1, 1), None, env())
    assert Context(datetime(2026, 1, 1, tzinfo=UTC), None, env()).now.tzinfo is UTC
