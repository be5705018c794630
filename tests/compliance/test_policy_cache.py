"""Cached agreement and authorization terms never outlive a change: a second process on
the same database (another worker) sees every change on its next decision."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from caveat.adapters.db.models.compliance import PolicyGenerationRow
from caveat.bootstrap.container import Node, open_node
from caveat.bootstrap.settings import Settings
from caveat.domain.policy import Action
from caveat.services.kernel.principal import ConsoleOperator
from tests.compliance.support import World, ctx
from tests.compliance.test_authorizations_embargoes import licence

CONSOLE = ConsoleOperator()


@pytest.fixture
def worker(world: World, settings: Settings) -> Iterator[Node]:
    other = open_node(settings, clock=world.clock)
    yield other
    other.close()


def _failed(node: Node, username: str, resource: str) -> set[str]:
    return set(
        node.policy.explain(
            CONSOLE, person=username, resource_id=resource, action=Action.READ
        ).failed
    )


def _generations(node: Node) -> dict[str, int]:
    with node.uow.read() as session:
        return {r.name: r.value for r in session.scalars(select(PolicyGenerationRow))}


def test_agreement_changes_reach_another_worker_at_once(world: World, worker: Node) -> None:
    manager = world.principal("agnes")
    assert "agreement" in _failed(worker, "bob", world.plain)  # cached: no agreement
    world.node.agreements.create(manager, ctx(), world.draft())
    assert "agreement" in _failed(worker, "bob", world.plain)  # a draft has no effect
    world.node.agreements.move(manager, ctx(), "Sensor MoU", "activate", reason="signed")
    assert "agreement" not in _failed(worker, "bob", world.plain)
    world.node.agreements.move(manager, ctx(), "Sensor MoU", "suspend", reason="dispute")
    assert "agreement" in _failed(worker, "bob", world.plain)


def test_authorization_changes_reach_another_worker_at_once(world: World, worker: Node) -> None:
    eco = world.principal("eco")
    assert "export_authorization" in _failed(worker, "bob", world.controlled)
    created = world.node.authorizations.create(eco, ctx(), licence(world))
    assert "export_authorization" not in _failed(worker, "bob", world.controlled)
    world.node.authorizations.move(eco, ctx(), created.id, "suspend", reason="under review")
    assert "export_authorization" in _failed(worker, "bob", world.controlled)


def test_only_changes_to_a_source_raise_its_generation(world: World) -> None:
    before = _generations(world.node)
    world.node.authorizations.create(world.principal("eco"), ctx(), licence(world))
    after_licence = _generations(world.node)
    assert after_licence == {
        "agreements": before["agreements"],
        "authorizations": before["authorizations"] + 1,
        "subjects": before["subjects"] + 1,  # a subject's facts are read from it too
    }
    _failed(world.node, "bob", world.plain)  # decisions and their events change nothing
    assert _generations(world.node) == after_licence
    world.node.agreements.create(world.principal("agnes"), ctx(), world.draft())
    assert _generations(world.node)["agreements"] == before["agreements"] + 1
