"""Issue 11, reproduction 1 in the browser: claire (ONERA) widened a Northwind document to
DEU in the relabel form. Now the form previews who gains access, and confirming turns the
loosening into a release request; the label stays until the release workflow decides."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.compliance import AgreementKind
from caveat.services.compliance._agreements import AgreementDraft
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import FR_LAB, PROJECT, Content

NORTHWIND = ("Northwind Photonics", "GBR")
TITLE = "Detector yield report"


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    project = node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("nina", nations=("GBR",), lab=NORTHWIND)
    made.member("claire", nations=("FRA",), lab=FR_LAB)
    made.member("dieter", nations=("DEU",), lab=("Fraunhofer FHR", "DEU"))
    today = world.clock().date()
    agreement = node.agreements.create(
        ConsoleOperator(),
        CallContext.cli(),
        AgreementDraft(
            name="Photonics arrangement",
            kind=AgreementKind.MOU,
            effective_on=today - timedelta(days=1),
            expires_on=today + timedelta(days=30),
            max_level=3,
            party_nations=("GBR", "FRA", "DEU"),
            projects=(project.id,),
        ),
    )
    node.agreements.move(
        ConsoleOperator(), CallContext.cli(), agreement.id, "activate", reason="signed"
    )
    made.put("nina", title=TITLE, label="SECRET//REL TO USA, FRA, GBR")
    return made


def test_a_partner_widening_a_label_in_the_form_gets_a_release_request(
    browser: Browser, content: Content
) -> None:
    doc = content.artifact_id(TITLE)
    browser.sign_in(content.accounts["claire"])
    values = {"label": "SECRET//REL TO USA, DEU, FRA, GBR", "controls": "", "reason": "DEU joins"}
    preview: Any = browser.post(f"/artifacts/{doc}/relabel", values)
    assert preview.status_code == 200, preview.text
    assert "This loosens the marking" in preview.text
    assert "Fraunhofer FHR (DEU): 1" in preview.text  # who would gain, counted
    previewed = re.search(r'name="previewed" value="([0-9a-f]{64})"', preview.text)
    assert previewed
    done: Any = browser.post(
        f"/artifacts/{doc}/relabel",
        values | {"confirm": "yes", "previewed": previewed.group(1)},
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/releases/")
    page = browser.client.get(done.headers["location"])
    assert "release request now goes to export control" in page.text
    assert "SECRET//REL TO USA, DEU, FRA, GBR" in page.text  # the label asked for
    shown = content.node.artifacts.show(content.principal("nina"), doc)
    assert shown.banner == "SECRET//REL TO USA, FRA, GBR"  # unchanged
    assert [lab.seq for lab in shown.labels] == [1]
