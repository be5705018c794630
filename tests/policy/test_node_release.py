"""Releasing to a partner node: the same requirements as a person's read, decided for
the node's accreditation, nation and organisation, and only the peering's agreements."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.domain.policy import (
    AgreementTerms,
    AuthorizationTerms,
    Context,
    DatedAgreement,
    DatedAuthorization,
    DatedEmbargo,
    EmbargoTerms,
    MemoryAgreements,
    MemoryAuthorizations,
    MemoryEmbargoes,
    MemoryScreening,
    NodeRecipient,
    PolicyEnvironment,
    Requirement,
    ScreeningHold,
    decide_node_release,
)
from tests.policy.population import NOW
from tests.policy.test_decide import env, resource

MOU = AgreementTerms("mou-1", "Sensor MoU", frozenset({"p1"}), 3)
OTHER = AgreementTerms("mou-2", "Another MoU", frozenset({"p1"}), 4)
COVERED = env(
    agreements=MemoryAgreements(
        [
            DatedAgreement(MOU, organisations=frozenset({"dstl"})),
            DatedAgreement(OTHER, organisations=frozenset({"dstl"})),
        ]
    )
)


def dstl(level: int = 3, agreements: frozenset[str] = frozenset({"mou-1"})) -> NodeRecipient:
    return NodeRecipient("peer-1", "dstl-node", "dstl", "GBR", level, agreements)


def failed(
    node: NodeRecipient,
    marking: str,
    environment: PolicyEnvironment = COVERED,
    controls: tuple[str, ...] = (),
) -> set[str]:
    item = resource(marking, controls=controls)
    return set(decide_node_release(node, item, Context(NOW, None, environment)).failed_codes)


def test_a_releasable_item_under_the_peering_s_agreement_goes() -> None:
    decision = decide_node_release(
        dstl(), resource("SECRET//REL TO USA, GBR"), Context(NOW, None, COVERED)
    )
    assert decision.permitted
    assert decision.subject_id == "peer:peer-1"
    assert [int(r.requirement) for r in decision.results] == list(range(1, 11))
    not_applying = {r.requirement for r in decision.results if not r.applies}
    assert not_applying == {Requirement.NEED_TO_KNOW, Requirement.MFA_FRESHNESS}


def test_each_requirement_refuses_on_its_own() -> None:
    assert failed(dstl(level=2), "SECRET//REL TO USA, GBR") == {"clearance"}
    assert failed(dstl(), "SECRET//REL TO USA, FRA") == {"releasability"}
    assert failed(dstl(), "SECRET//NOFORN") == {"releasability"}
    assert failed(dstl(), "SECRET//ORCON/REL TO USA, GBR") == {"caveats"}
    assert failed(dstl(), "SECRET//SI-G ABCD//REL TO USA, GBR") == {"caveats"}
    assert failed(dstl(agreements=frozenset()), "SECRET//REL TO USA, GBR") == {"agreement"}
    itar = ("ITAR:USML-XI(c)(1)",)
    assert failed(dstl(), "SECRET//REL TO USA, GBR", controls=itar) == {"export_authorization"}
    held = env(
        agreements=COVERED.agreements,
        screening=MemoryScreening([("dstl", ScreeningHold("h1", "organisation", "x"))]),
    )
    assert failed(dstl(), "SECRET//REL TO USA, GBR", held) == {"screening"}
    embargoed = env(
        agreements=COVERED.agreements,
        embargoes=MemoryEmbargoes([DatedEmbargo(EmbargoTerms("e1", "USA", "GBR", "test"))]),
    )
    assert failed(dstl(), "SECRET//REL TO USA, GBR", embargoed) == {"embargo"}


def test_only_the_agreements_the_peering_names_count() -> None:
    # mou-2 covers the organisation and the item, but the peering names only mou-1,
    # whose ceiling is SECRET: a TOP SECRET item does not go, however accredited.
    assert failed(dstl(level=4), "TOP SECRET//REL TO USA, GBR") == {"agreement"}
    named = dstl(level=4, agreements=frozenset({"mou-1", "mou-2"}))
    assert failed(named, "TOP SECRET//REL TO USA, GBR") == set()


def test_an_authorization_of_the_organisation_covers_a_controlled_item() -> None:
    licence = DatedAuthorization(
        AuthorizationTerms("dsp-5", "DSP-5", frozenset({"ITAR:USML-XI(c)(1)"})),
        organisations=frozenset({"dstl"}),
    )
    licensed = env(agreements=COVERED.agreements, authorizations=MemoryAuthorizations([licence]))
    itar = ("ITAR:USML-XI(c)(1)",)
    assert failed(dstl(), "SECRET//REL TO USA, GBR", licensed, itar) == set()


@settings(max_examples=60, deadline=None)
@given(
    level=st.sampled_from([0, 2, 3, 4]),  # the US scheme has no RESTRICTED
    accredited=st.integers(0, 4),
    rel=st.sampled_from(["REL TO USA, GBR", "REL TO USA, FRA", "NOFORN", "REL TO USA, FRA, GBR"]),
)
def test_a_node_never_receives_what_its_nation_or_accreditation_may_not_hold(
    level: int, accredited: int, rel: str
) -> None:
    words = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"][level]
    marking = words if level == 0 else f"{words}//{rel}"
    node = dstl(level=accredited, agreements=frozenset({"mou-1", "mou-2"}))
    decision = decide_node_release(node, resource(marking), Context(NOW, None, COVERED))
    if decision.permitted:
        assert level <= accredited
        assert level == 0 or "GBR" in rel
