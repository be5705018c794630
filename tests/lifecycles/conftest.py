from __future__ import annotations

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from tests.compliance.support import CONSOLE, World, build, ctx
from tests.support import FakeClock


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    """The compliance world, with a second officer of each kind in the originating
    laboratory (AFRL), one holding both roles, a foreign agreement manager and a
    programme manager who is also AFRL's security officer."""
    built = build(node, clock)
    people = built.scenario
    onera = people.org("ONERA", "FRA")
    people.person("fam", nations=("FRA",), roles=(Role.AGREEMENT_MANAGER,), org=onera)
    people.person("sam", nations=("USA",), roles=(Role.SECURITY_OFFICER,))
    people.person("ema", nations=("USA",), roles=(Role.EXPORT_CONTROL_OFFICER,))
    people.person(
        "duo", nations=("USA",), roles=(Role.EXPORT_CONTROL_OFFICER, Role.SECURITY_OFFICER)
    )
    people.person("pmso", nations=("USA",), roles=(Role.PROGRAMME_MANAGER, Role.SECURITY_OFFICER))
    people.person("pman", nations=("USA",), roles=(Role.PROGRAMME_MANAGER,))
    for who in ("eco", "ema", "duo", "sam"):
        node.projects.add_member(CONSOLE, ctx(), built.project, who)
    return built
