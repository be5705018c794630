"""Names instead of ids: only for what the viewer may see (a project's name is not shown
to someone who is not a member and discovers nothing in it)."""

from __future__ import annotations

import pytest

from caveat.bootstrap.container import Node
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.web.names import Names, duration
from tests.support import Scenario
from tests.web.content import PROJECT, Content


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("sam")
    return made


def test_durations_read_as_people_say_them() -> None:
    assert duration(28800) == "8 hours"
    assert duration(5400) == "1 hour 30 minutes"
    assert duration(900) == "15 minutes"
    assert duration(1) == "1 second"


def test_a_project_is_named_only_to_members_and_to_who_discovers_something_in_it(
    content: Content,
) -> None:
    node = content.node
    hidden = node.projects.create_project(
        ConsoleOperator(), CallContext.cli(), name="Black Programme"
    ).id
    member_project = node.projects.get_project(PROJECT).id
    content.put("sam", title="Seeker trials", label="UNCLASSIFIED")
    content.member("olivia", member=False)
    names = Names(node, content.principal("olivia"))
    text = f"not a member of project {hidden} and no access grant"
    assert "Black Programme" not in names.explain(text)
    assert hidden not in names.explain(text)  # shortened: the id says nothing more
    assert "Hypersonics" not in names.explain(f"member of project {member_project}")
    assert names.project(member_project) is None
    assert names.resource(content.artifact_id("Seeker trials")) is None
    # A member reads the name; MFA seconds read as hours.
    sam = Names(node, content.principal("sam"))
    assert sam.explain(f"member of project {member_project}") == "member of project “Hypersonics”"
    assert sam.explain("MFA within 28800 s") == "MFA within the last 8 hours"
    assert "Black Programme" not in sam.explain(text)
