from __future__ import annotations

from datetime import date

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.identity import OrganisationKind, Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock, Scenario

CLI = CallContext.cli()


def test_organisations_are_unique_and_need_a_real_nation(node: Node) -> None:
    node.registry.create_organisation(
        ConsoleOperator(),
        CLI,
        name="ONERA",
        nation="FRA",
        kind=OrganisationKind.GOVERNMENT_LABORATORY,
    )
    with pytest.raises(Conflict):
        node.registry.create_organisation(
            ConsoleOperator(),
            CLI,
            name="ONERA",
            nation="FRA",
            kind=OrganisationKind.GOVERNMENT_LABORATORY,
        )
    with pytest.raises(InvalidInput) as bad:
        node.registry.create_organisation(
            ConsoleOperator(), CLI, name="Nowhere Lab", nation="XXX", kind=OrganisationKind.ACADEMIA
        )
    assert bad.value.field == "nation"
    assert node.registry.get_organisation("ONERA").nation == "FRA"
    with pytest.raises(NotFound):
        node.registry.get_organisation("no such lab")


def test_custom_groups_are_dated_and_cannot_take_builtin_codes(node: Node) -> None:
    node.registry.create_group(
        ConsoleOperator(),
        CLI,
        code="SENSORPROG",
        name="Sensor programme",
        members=["USA", "GBR", "NOR"],
        valid_from=date(2025, 1, 1),
    )
    directory = node.registry.directory()
    assert directory.members("SENSORPROG", date(2025, 6, 1)) == {"USA", "GBR", "NOR"}
    assert directory.members("SENSORPROG", date(2024, 6, 1)) == frozenset()
    assert directory.members("FVEY", date(2025, 6, 1)) == {"AUS", "CAN", "GBR", "NZL", "USA"}
    with pytest.raises(Conflict):
        node.registry.create_group(ConsoleOperator(), CLI, code="FVEY", name="x", members=["USA"])
    with pytest.raises(InvalidInput):
        node.registry.create_group(ConsoleOperator(), CLI, code="BAD", name="x", members=["ZZZ"])


def test_people_keep_every_nationality_and_residency(node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    account = node.people.create_person(
        ConsoleOperator(),
        CLI,
        username="sam",
        display_name="Sam Whitaker",
        email="sam@northwind.example",
        organisation=world.org("Northwind", "GBR"),
        citizenships=["GBR", "USA"],
        residencies=["FRA"],
        roles=[Role.RESEARCHER],
    )
    assert account.person.citizenships == ("GBR", "USA")
    assert account.person.residencies == ("FRA",)
    assert account.one_time_password is not None
    assert len(account.mfa.recovery_codes) == 10
    assert account.mfa.totp_uri.startswith("otpauth://totp/")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"citizenships": []}, "nationality_required"),
        ({"citizenships": ["GBR", "GBR"]}, "duplicate_nation"),
        ({"citizenships": ["UK"]}, "invalid_nation"),
        ({"username": "Has Spaces"}, "invalid_username"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"organisation": "Unknown Org"}, "unknown_organisation"),
        ({"password": "password1234"}, "weak_password"),
    ],
)
def test_bad_people_are_refused_with_the_field_named(
    node: Node, clock: FakeClock, changes: dict[str, object], code: str
) -> None:
    world = Scenario(node, clock)
    fields: dict[str, object] = {
        "username": "dieter",
        "display_name": "Dieter Brandt",
        "email": "d@wtd81.example",
        "organisation": world.org("WTD 81", "DEU"),
        "citizenships": ["DEU"],
    }
    fields.update(changes)
    with pytest.raises(InvalidInput) as caught:
        node.people.create_person(ConsoleOperator(), CLI, **fields)  # type: ignore[arg-type]
    assert caught.value.code == code
    assert caught.value.field


def test_duplicate_usernames_conflict(node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    world.person("alice")
    with pytest.raises(Conflict) as caught:
        world.person("alice")
    assert caught.value.code == "duplicate_username"


def test_only_operators_and_security_officers_administer(node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    alice = world.person("alice")
    principal = node.auth.authenticate(CLI, world.login(alice).token)
    with pytest.raises(PermissionDenied) as caught:
        node.registry.create_organisation(
            principal, CLI, name="Rogue Lab", nation="USA", kind=OrganisationKind.INDUSTRY
        )
    assert caught.value.code == "policy_denied"
    assert caught.value.data["action"] == "organisation.create"
    with pytest.raises(PermissionDenied) as own:
        node.people.unlock(principal, CLI, "alice")
    assert own.value.code == "policy_denied"


def test_reset_mfa_issues_new_secrets_and_ends_sessions(node: Node, clock: FakeClock) -> None:
    world = Scenario(node, clock)
    alice = world.person("alice")
    issued = world.login(alice)
    _, mfa = node.people.reset_mfa(ConsoleOperator(), CLI, "alice")
    assert mfa.totp_secret != alice.mfa.totp_secret
    with pytest.raises(Exception, match="ended"):
        node.auth.authenticate(CLI, issued.token)
