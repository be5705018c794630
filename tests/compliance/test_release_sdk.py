"""``client.releases``, the SDK's release resource (issue 15): typed answers parsed from
the API's documented JSON, the same workflow the CLI's ``caveat release`` walks."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from caveat.client.releases import ExportRecord, ExportReport, Release, ReportLine
from tests.compliance import test_releases as flow
from tests.compliance.support import World

http = flow.http  # one HTTP client per signed-in person
onera = flow.onera  # a French partner, covered by an agreement and a DSP-5 licence


def test_the_sdk_walks_a_release_with_typed_answers(
    http: list[TestClient], world: World, onera: str
) -> None:
    alice = flow.client_for(http, world, "alice")
    eco = flow.client_for(http, world, "eco")
    sol = flow.client_for(http, world, "sol")

    asked = alice.releases.request(world.controlled, "joint trial", organisations=["ONERA"])
    assert isinstance(asked, Release)
    assert asked.resource_id == world.controlled
    assert asked.organisations == (onera,)
    classified = eco.releases.classify(asked.id, authorization=flow.LICENCE)
    assert classified.authorization_id is not None
    done = sol.releases.decide(asked.id, approve=True, reason="agreed")
    assert (done.id, done.status) == (asked.id, "approved")
    assert [r.id for r in eco.releases.requests()] == [asked.id]
    # the flat form of earlier SDKs still answers the JSON objects, field for field
    [flat] = eco.releases()
    assert set(flat) == {f.name for f in dataclasses.fields(Release)}

    [record] = eco.releases.export_records(authorization=flow.LICENCE)
    assert isinstance(record, ExportRecord)
    assert record.release_request_id == asked.id
    report = eco.releases.export_report(authorization=flow.LICENCE)
    assert isinstance(report, ExportReport)
    assert [type(line) for line in report.lines] == [ReportLine]
    assert report.disagreements == 0
    assert flow.LICENCE in eco.releases.export_records_csv(authorization=flow.LICENCE)
    assert eco.releases.export_records_pdf().startswith(b"%PDF")
