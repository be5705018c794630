"""The demo's proficiency rounds: five nations' laboratories, WTD 81 the outlier of the
closed round, the open round blind until its coordinator closes it."""

from __future__ import annotations

from caveat.bootstrap.container import Node, seed_demo
from caveat.services import demo
from caveat.services.kernel.principal import Principal
from tests.proficiency.support import ctx


def test_the_demo_rounds(node: Node) -> None:
    seed_demo(node)

    def who(username: str) -> Principal:
        return Principal(person=node.people.get_person(username), mfa_at=node.uow.clock())

    rounds = {r.title: r for r in node.proficiency.rounds(who("bob"))}
    closed, still_open = rounds[demo.PROFICIENCY_CLOSED], rounds[demo.PROFICIENCY_OPEN]
    assert closed.status == "closed"
    assert still_open.status == "open"
    nations = {lab.name for lab in node.proficiency.round(who("paul"), closed.id).laboratories}
    assert {name.split()[1] for name in nations} == set(demo.PROFICIENCY_LABS)
    (item,) = node.proficiency.results(who("bob"), ctx(), closed.id).items
    assert item.participants == 5
    assert item.withheld == 0
    verdicts = {s.value: s.z_verdict for s in item.scores}
    assert verdicts[0.1196] == "unsatisfactory"  # WTD 81
    assert sorted(verdicts.values()).count("satisfactory") == 4
    # DSTL reported in cm²: scored in m².
    dstl = next(s for s in item.scores if s.own)
    assert abs(dstl.value - 0.0998) < 1e-12
    # Blind: in the open round bob reads DSTL's result only; paul, coordinating, all.
    mine = node.proficiency.submissions(who("bob"), ctx(), still_open.id)
    assert [s.laboratory.split()[-1] for s in mine] == ["DSTL"]
    assert len(node.proficiency.submissions(who("paul"), ctx(), still_open.id)) == 3
