"""The demo scenario's legal frame: cross-national reads work, and there is work to do."""

from __future__ import annotations

from datetime import timedelta

from caveat.bootstrap.container import Node, seed_demo
from caveat.domain.policy import Action
from caveat.services import demo as demo
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock

CONSOLE = ConsoleOperator()
READ = Action.READ


def test_demo_seeds_programme_agreements_licence_and_a_hit(node: Node, clock: FakeClock) -> None:
    seed_demo(node)
    programme = node.programmes.get(demo.PROGRAMME)
    assert len(programme.projects) == len(demo.PROJECTS)
    assert len(programme.participants) == len(demo.PARTICIPANTS)
    statuses = {a.name: a for a in node.agreements.list_agreements(CONSOLE)}
    assert statuses[demo.SENSOR_MOU].status == "in_force"
    expiring = statuses[demo.EXPIRING]
    assert expiring.status == "in_force"
    assert expiring.expires_on is not None
    assert expiring.expires_on - clock().date() <= timedelta(days=30)
    renewal = statuses[demo.RENEWAL]  # ONERA's agreement manager has it to renew
    assert renewal.status == "in_force"
    assert renewal.expires_on is not None
    assert renewal.expires_on - clock().date() <= timedelta(days=30)
    assert "FRA" in renewal.party_nations
    licences = {a.number: a for a in node.authorizations.list_authorizations(CONSOLE)}
    assert set(licences) == {demo.DEMO_LICENCE, demo.DEMO_EAR_LICENCE}
    assert licences[demo.DEMO_LICENCE].status == "active"
    assert licences[demo.DEMO_LICENCE].entries == ("ITAR:USML-XI(c)(1)",)
    assert licences[demo.DEMO_LICENCE].no_retransfer
    [pending] = node.releases.requests(CONSOLE)
    assert (pending.status, pending.nations) == ("pending", ())
    assert len(pending.organisations) == 1
    [hit] = node.screening.hits(CONSOLE)
    assert hit.screened_name == "Oskar Lind"
    assert hit.source.startswith("DEMO DATA")
    plan = node.policy.resolve("Sensor fusion test plan")
    # A UK researcher reads a US document under the MoU; the French researcher is
    # covered by the MoU too, and is refused only by the REL TO marking.
    assert node.policy.explain(CONSOLE, person="bob", resource_id=plan, action=READ).permitted
    claire = node.policy.explain(CONSOLE, person="claire", resource_id=plan, action=READ)
    assert set(claire.failed) == {"releasability"}
    # The licence covers ONERA for the ITAR entry; the hit holds Oskar.
    radar = node.policy.resolve("Radar cross-section measurements")
    assert (
        "export_authorization"
        not in node.policy.explain(CONSOLE, person="claire", resource_id=radar, action=READ).failed
    )
    assert (
        "screening"
        in node.policy.explain(CONSOLE, person="oskar", resource_id=plan, action=READ).failed
    )
    # Once the arrangement lapses, the GBR-NOR coverage is gone while the MoU stays.
    clock.advance(days=40)
    lapsed = {a.name: a.status for a in node.agreements.list_agreements(CONSOLE)}
    assert lapsed == {
        demo.SENSOR_MOU: "in_force",
        demo.EXPIRING: "expired",
        demo.RENEWAL: "expired",
    }


def test_the_demo_release_can_be_completed_by_its_officers(node: Node, clock: FakeClock) -> None:
    seed_demo(node)
    [pending] = node.releases.requests(CONSOLE)
    antenna = node.policy.resolve("Antenna array design")
    assert (
        "releasability"
        in node.policy.explain(CONSOLE, person="claire", resource_id=antenna, action=READ).failed
    )

    def officer(username: str) -> Principal:
        return Principal(person=node.people.get_person(username), mfa_at=clock())

    ctx = CallContext.cli()
    node.releases.classify(officer("erin"), ctx, pending.id, authorization=demo.DEMO_EAR_LICENCE)
    approved = node.releases.decide(
        officer("victor"), ctx, pending.id, approve=True, reason="AFRL agrees"
    )
    assert approved.status == "approved"
    assert node.policy.explain(CONSOLE, person="claire", resource_id=antenna, action=READ).permitted
    [record] = node.releases.export_records(CONSOLE)
    assert record.authorization_number == demo.DEMO_EAR_LICENCE
