"""The web's ledger explorer and who-can follow the discover decision (issue 11,
reproduction 8): a Norwegian officer and an uncleared auditor see NOFORN events withheld
on the search page, the CSV and the entry page, whose proof still verifies; who-can
counts other organisations; only operators publish checkpoints."""

from __future__ import annotations

import re
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.ledger._audit import WITHHELD, EventFilter
from tests.permissions.test_side_channels import SECRET_TITLE, UK_LAB, Cast, cast
from tests.support import FakeClock
from tests.web.conftest import Browser


@pytest.fixture
def people(node: Node, clock: FakeClock) -> Cast:
    return cast(node, clock)


def _registered_index(people: Cast) -> int:
    people.node.ledger.integrate()
    people.node.ledger.publish_now()
    [event] = people.node.audit.search(
        ConsoleOperator(), EventFilter(action="resource.registered", target_id=people.noforn)
    ).entries
    assert event.leaf_index is not None
    return event.leaf_index


@pytest.mark.parametrize("reader", ["ingrid", "audrey"])
def test_ledger_pages_withhold_noforn_events_and_still_verify(
    browser: Browser, people: Cast, reader: str
) -> None:
    index = _registered_index(people)
    browser.sign_in(people.world.accounts[reader])
    search = browser.client.get(f"/ledger?target_id={people.noforn}")
    assert search.status_code == 200
    assert WITHHELD in search.text
    assert SECRET_TITLE not in search.text
    entry = browser.client.get(f"/ledger/entries/{index}")
    assert entry.status_code == 200
    assert WITHHELD in entry.text
    assert SECRET_TITLE not in entry.text
    assert "NOFORN" not in entry.text
    assert f"Verified: entry #{index} is in the signed checkpoint" in entry.text
    assert entry.text.count("✔ passed") == 4
    exported: Any = browser.post("/ledger/events.csv", {"target_id": people.noforn})
    assert exported.status_code == 200
    assert SECRET_TITLE not in exported.text
    assert WITHHELD in exported.text


def test_an_officer_who_may_discover_sees_the_entry(browser: Browser, people: Cast) -> None:
    index = _registered_index(people)
    browser.sign_in(people.world.accounts["sol"])
    entry = browser.client.get(f"/ledger/entries/{index}")
    assert SECRET_TITLE in entry.text
    assert WITHHELD not in entry.text
    assert entry.text.count("✔ passed") == 4


def test_who_can_page_counts_other_organisations_and_explain_refuses_them(
    browser: Browser, people: Cast
) -> None:
    browser.sign_in(people.world.accounts["sol"])
    page = browser.client.get(f"/policy/who-can?resource={people.shared}&action=read")
    assert page.status_code == 200
    # Each listed person is a link to their explanation, with the username beside the name.
    listed = set(re.findall(r'<span class="muted small">\((\w+)\)</span></td>', page.text))
    assert {"sol", "alice", "rick", "audrey"} <= listed
    for other in ("bob", "abu", "gso", "ingrid"):
        assert other not in listed
    table = page.text[page.text.index('id="who-h"') :]
    assert "screening" not in table  # no requirement result of another organisation
    assert re.search(rf'<th scope="row">{UK_LAB}</th><td>GBR</td><td>3</td>', page.text)
    operators = re.escape("Caveat Node Operations (GBR)")
    assert re.search(rf'<th scope="row">{operators}</th><td>GBR</td><td>1</td>', page.text)
    refused = browser.client.get(f"/policy/explain?person=abu&resource={people.shared}")
    assert refused.status_code == 403


def test_only_operators_publish_a_checkpoint_from_the_web(browser: Browser, people: Cast) -> None:
    browser.sign_in(people.world.accounts["audrey"])
    page = browser.client.get("/ledger/checkpoints")
    assert "Publish a checkpoint now" not in page.text
    refused: Any = browser.post("/ledger/checkpoints", {"back": "/ledger/checkpoints"})
    assert refused.status_code == 403
