"""The subjects policy generation: raised by every change a subject's facts are read
from, in the same transaction, and by nothing else on a busy path."""

from __future__ import annotations

from sqlalchemy import select

from caveat.adapters.db.models.compliance import PolicyGenerationRow
from caveat.bootstrap.container import Node
from caveat.domain.events import CATALOG
from caveat.domain.identity import Clearance, CommonLevel
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import SUBJECT_TRIGGERS, CallContext
from tests.support import FakeClock, Scenario

# Event types that change nothing a subject's facts or a channel's scope are read from.
NOT_SUBJECT_PREFIXES = (
    "alert.", "artifact.", "audit.", "channel.", "discussion.", "export.", "kek.",
    "ledger.", "mail.", "node.initialised", "notification.", "peer.", "plan.", "proficiency.",
    "relabel.",
    "release.", "resource.registered", "resource.relabelled", "taxii.", "upload.",
    "auth.address_locked", "auth.address_unlocked", "auth.login", "auth.logout",
    "auth.recovery_code_used", "auth.recovery_codes_issued", "auth.step_up",
)  # fmt: skip


def test_every_event_type_is_placed_on_one_side() -> None:
    """A new event type must be classified: it either raises the subjects generation
    or is listed here as changing nothing a subject's facts are read from."""
    unplaced = [n for n in CATALOG if not n.startswith(SUBJECT_TRIGGERS + NOT_SUBJECT_PREFIXES)]
    both = [
        n for n in CATALOG if n.startswith(SUBJECT_TRIGGERS) and n.startswith(NOT_SUBJECT_PREFIXES)
    ]
    assert unplaced == []
    assert both == []


def _generation(node: Node) -> int | None:
    with node.uow.read() as session:
        return session.scalar(
            select(PolicyGenerationRow.value).where(PolicyGenerationRow.name == "subjects")
        )


def test_a_change_to_a_person_raises_the_generation_and_activity_does_not(
    node: Node, clock: FakeClock
) -> None:
    world = Scenario(node, clock)
    world.person("dana")
    before = _generation(node)
    assert before is not None  # the first change created the counter (no migration)
    node.people.update_person(
        ConsoleOperator(),
        CallContext.cli(),
        "dana",
        clearance=Clearance(CommonLevel.CONFIDENTIAL, "CONFIDENTIAL", "USA", clock().date()),
        reason="downgraded",
    )
    lowered = _generation(node)
    assert lowered is not None
    assert lowered > before
    project = node.projects.create_project(
        ConsoleOperator(), CallContext.cli(), name="Range trials"
    ).id
    node.projects.add_member(ConsoleOperator(), CallContext.cli(), project, "dana")
    added = _generation(node)
    assert added is not None
    assert added > lowered
    with node.uow(CallContext.cli()) as uow:  # channel activity: no invalidation
        uow.record("channel.subscribed", ConsoleOperator().actor(), target_id="c1", data={})
    assert _generation(node) == added
