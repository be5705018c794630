"""Requirement 7 flips with an authorization's validity, coverage and status;
requirement 9 with embargo data; bad input is refused whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caveat.domain.errors import Conflict, InvalidInput
from caveat.domain.screening import ScreeningFormatError
from caveat.services.compliance._authorizations import AuthorizationDraft
from caveat.services.compliance._embargoes import EmbargoDraft
from tests.compliance.support import World, ctx


def licence(world: World, **changes: object) -> AuthorizationDraft:
    values: dict[str, object] = {
        "type": "DSP-5",
        "jurisdiction": "USA",
        "number": "050123456",
        "entries": ("ITAR:USML-XI(c)(1)",),
        "valid_from": world.today,
        "valid_to": world.today + timedelta(days=10),
        "organisations": (world.dstl,),
    }
    values.update(changes)
    return AuthorizationDraft(**values)  # type: ignore[arg-type]


def test_requirement_7_flips_with_validity_coverage_and_status(world: World) -> None:
    node, eco = world.node, world.principal("eco")
    assert "export_authorization" in world.failed("bob", world.controlled)
    assert "export_authorization" not in world.failed("alice", world.controlled)  # domestic
    node.authorizations.create(eco, ctx(), licence(world, entries=("ITAR:USML-XII(a)",)))
    assert "export_authorization" in world.failed("bob", world.controlled)  # wrong entry
    node.authorizations.create(
        eco, ctx(), licence(world, number="050999999", valid_from=world.today + timedelta(days=1))
    )
    assert "export_authorization" in world.failed("bob", world.controlled)  # not yet valid
    world.clock.advance(days=1)
    assert "export_authorization" not in world.failed("bob", world.controlled)
    node.authorizations.move(eco, ctx(), "050999999", "suspend", reason="proviso breach")
    assert "export_authorization" in world.failed("bob", world.controlled)
    node.authorizations.move(eco, ctx(), "050999999", "reinstate", reason="cleared")
    assert "export_authorization" not in world.failed("bob", world.controlled)
    world.clock.advance(days=9)  # day 10 after creation: its last day
    assert "export_authorization" not in world.failed("bob", world.controlled)
    world.clock.advance(days=1)
    assert "export_authorization" in world.failed("bob", world.controlled)
    got = node.authorizations.get(eco, "050999999")
    assert got.status == "expired"


def test_nation_end_user_and_revocation(world: World) -> None:
    node, eco = world.node, world.principal("eco")
    node.authorizations.create(eco, ctx(), licence(world, organisations=(), nations=("GBR",)))
    assert "export_authorization" not in world.failed("bob", world.controlled)
    node.authorizations.move(eco, ctx(), "050123456", "revoke", reason="withdrawn")
    assert "export_authorization" in world.failed("bob", world.controlled)
    with pytest.raises(Conflict):
        node.authorizations.move(eco, ctx(), "050123456", "reinstate", reason="not allowed")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"entries": ("EAR:3A01",)}, "invalid_control_entry"),
        ({"entries": ("ITAR:USML-XI(c)(1)x",)}, "invalid_control_entry"),
        ({"entries": ("EAR:3A001.a.1",)}, "invalid_authorization"),  # DSP-5 covers ITAR only
        ({"jurisdiction": "GBR"}, "invalid_authorization"),
        ({"valid_to": None, "valid_from": None}, None),
        ({"organisations": ()}, "authorization_end_users_required"),
        ({"type": "DSP-9"}, "invalid_authorization"),
    ],
)
def test_bad_authorizations(world: World, changes: dict[str, object], code: str | None) -> None:
    if code is None:  # expired dates
        changes = {
            "valid_from": world.today - timedelta(days=30),
            "valid_to": world.today - timedelta(days=1),
        }
        code = "expired_dates"
    with pytest.raises(InvalidInput) as info:
        world.node.authorizations.create(world.principal("eco"), ctx(), licence(world, **changes))
    assert info.value.code == code
    assert world.node.authorizations.list_authorizations(world.principal("eco")) == []


def test_embargo_flips_requirement_9(world: World) -> None:
    node, eco = world.node, world.principal("eco")
    assert "embargo" not in world.failed("bob", world.plain)
    start = world.today + timedelta(days=1)
    embargo = node.embargoes.add(
        eco, ctx(), EmbargoDraft("USA", "GBR", start, None, "SAMPLE: test citation", "arms")
    )
    assert "embargo" not in world.failed("bob", world.plain)
    world.clock.advance(days=1)
    assert "embargo" in world.failed("bob", world.plain)
    assert "embargo" not in world.failed("alice", world.plain)
    node.embargoes.lift(eco, ctx(), embargo.id, on=world.today, reason="lifted by instrument X")
    assert "embargo" in world.failed("bob", world.plain)  # its last day
    world.clock.advance(days=1)
    assert "embargo" not in world.failed("bob", world.plain)
    with pytest.raises(Conflict) as info:
        node.embargoes.add(
            eco, ctx(), EmbargoDraft("USA", "GBR", start, None, "SAMPLE: again", "arms")
        )
    assert info.value.code == "overlapping_embargo"


def test_embargo_file_is_all_or_nothing(world: World) -> None:
    node, eco = world.node, world.principal("eco")
    good = "imposed_by,nation,regime,valid_from,valid_to,source\nUSA,PRK,arms,2020-01-01,,SAMPLE\n"
    bad = good + "USA,XXZ,arms,2020-01-01,,SAMPLE\n"
    with pytest.raises(ScreeningFormatError) as info:
        node.embargoes.load(eco, ctx(), bad)
    assert info.value.data == {"line": 3, "column": 2}
    assert node.embargoes.list_embargoes(eco) == []
    assert len(node.embargoes.load(eco, ctx(), good)) == 1
