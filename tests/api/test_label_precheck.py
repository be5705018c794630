"""POST /api/v1/labels/precheck through the SDK: whether the caller could read content
under a label before sending any, as the upload itself decides it."""

from __future__ import annotations

import pytest

from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario

PROJECT = "Hypersonics"


@pytest.fixture
def project(node: Node, world: Scenario, signed_in: CaveatClient) -> str:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    node.projects.add_member(ConsoleOperator(), CallContext.cli(), PROJECT, "alice")
    return PROJECT


def test_a_label_above_the_callers_clearance_is_reported_before_upload(
    signed_in: CaveatClient, project: str
) -> None:
    readable = signed_in.precheck_label("SECRET//REL TO USA, GBR", project=project)
    assert readable == {"banner": "SECRET//REL TO USA, GBR", "readable": True, "failed": []}
    above = signed_in.precheck_label("TOP SECRET", project=project)
    assert above["readable"] is False
    assert above["failed"]  # what alice lacks, in the words the policy gives its subject
    # The originator's own nation is never released away from: alice's content stays hers.
    own = signed_in.precheck_label("//NATO SECRET//REL TO FRA, GBR", project=project)
    assert own["readable"] is True


def test_a_bad_label_or_entry_is_refused_as_the_upload_refuses_it(
    signed_in: CaveatClient, project: str
) -> None:
    with pytest.raises(CaveatError) as bad:
        signed_in.precheck_label("SECRET//REL TO XYZ", project=project)
    assert bad.value.code == "invalid_marking"
    with pytest.raises(CaveatError) as entry:
        signed_in.precheck_label("SECRET", controls=["MTCR:5.A.1"], project=project)
    assert entry.value.code == "invalid_control_entry"
