"""The proficiency API through the SDK: a round opened, results submitted by JSON and by
file, blindness until close, the close's scores, and the plots as SVG."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest

from caveat.client import CaveatClient
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.proficiency.support import PROJECT, VALUES, Trials

SignIn = Callable[[str], CaveatClient]


def _procedure(pm: CaveatClient, writer: CaveatClient) -> str:
    made = writer.proficiency.create_procedure(
        project=PROJECT,
        name="Sphere RCS",
        label="UNCLASSIFIED",
        measurand="radar cross-section",
        unit="m^2",
        method="monostatic",
    )
    assert made["status"] == "draft"
    assert made["marking"] == "UNCLASSIFIED"
    approved = pm.proficiency.approve(made["id"])
    assert approved["status"] == "approved"
    assert approved["approved_by"] == "pam"
    return str(made["id"])


def _open(trials: Trials, pm: CaveatClient, version: str) -> dict[str, object]:
    return pm.proficiency.open_round(
        project=PROJECT,
        procedure_version=version,
        title="Sphere round",
        deadline=(trials.clock() + timedelta(days=7)).isoformat(),
        laboratories=["AFRL", "NRL", "ARL", "SNL", "APL"],
        items=[{"name": "Sphere A"}],
        label="UNCLASSIFIED",
    )


def test_a_round_through_the_api(trials: Trials, signed_in: SignIn) -> None:
    pm, walt = signed_in("pam"), signed_in("walt")
    version = _procedure(pm, walt)
    with pytest.raises(PermissionDenied):  # the author does not approve their own
        walt.proficiency.approve(version)
    opened = _open(trials, pm, version)
    round_id = str(opened["id"])
    assert opened["is_coordinator"] is True
    clients = {who: signed_in(who) for who in VALUES}
    for who, value in VALUES.items():
        made = clients[who].proficiency.submit(
            round_id,
            [{"item": "Sphere A", "value": value, "unit": "m^2", "standard_uncertainty": 0.002}],
        )
        assert made[0]["own"] is True
    alice = clients["alice"]
    assert len(alice.proficiency.submissions(round_id)) == 1  # blind
    assert alice.proficiency.results(round_id)["items"] == []
    with pytest.raises(PermissionDenied):
        alice.proficiency.close(round_id)
    closed = pm.proficiency.close(round_id)
    (item,) = closed["items"]
    assert item["participants"] == 5
    assert item["assigned_method"] == "consensus"
    seen = alice.proficiency.results(round_id)["items"][0]["scores"]
    assert len(seen) == 5
    assert {s["laboratory"] for s in seen if not s["own"]} <= {"L01", "L02", "L03", "L04", "L05"}
    outlier = next(s for s in seen if s["value"] == VALUES["arlo"])
    assert outlier["z_verdict"] == "unsatisfactory"
    svg = alice.proficiency.plot(round_id, item["item_id"], "results")
    assert svg.startswith("<svg")
    assert "style=" not in svg
    with pytest.raises(NotFound):
        alice.proficiency.plot(round_id, item["item_id"], "pie")
    with pytest.raises(Conflict) as info:
        clients["nadia"].proficiency.submit(
            round_id, [{"item": "Sphere A", "value": 1.0, "unit": "m^2"}]
        )
    assert info.value.code == "round_not_open"


def test_an_upload_is_refused_whole_with_each_row_and_column(
    trials: Trials, signed_in: SignIn
) -> None:
    pm = signed_in("pam")
    version = _procedure(pm, signed_in("walt"))
    round_id = str(
        pm.proficiency.open_round(
            project=PROJECT,
            procedure_version=version,
            title="Two spheres",
            deadline=(trials.clock() + timedelta(days=7)).isoformat(),
            laboratories=["AFRL", "NRL", "ARL"],
            items=[{"name": "Sphere A"}, {"name": "Sphere B"}],
            label="UNCLASSIFIED",
        )["id"]
    )
    alice = signed_in("alice")
    bad = (
        "item,value,unit,u,k,replicates\n"
        "Sphere A,0.1002,m^2,0.002,2,0.1001;0.1003\n"
        "Sphere C,0.1,m^2,,,\n"
        "Sphere B,abc,m^2,,,\n"
        "Sphere B,0.2,kg,,,\n"
    )
    with pytest.raises(InvalidInput) as info:
        alice.proficiency.upload(round_id, "results.csv", bad.encode())
    assert info.value.code == "invalid_results_file"
    errors = info.value.data["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "item"), (4, "value"), (5, "unit")]
    assert alice.proficiency.submissions(round_id) == []  # nothing was stored
    good = "item,value,unit,u\nSphere A,1002,cm^2,20\nSphere B,0.2,m^2,0.004\n"
    made = alice.proficiency.upload(round_id, "results.csv", good.encode())
    assert [(s["item"], round(s["value"], 6)) for s in made] == [
        ("Sphere A", 0.1002),
        ("Sphere B", 0.2),
    ]


def test_an_xlsx_upload(trials: Trials, signed_in: SignIn) -> None:
    from openpyxl import Workbook

    pm = signed_in("pam")
    version = _procedure(pm, signed_in("walt"))
    round_id = str(_open(trials, pm, version)["id"])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Item", "Value", "Unit", "Standard uncertainty", "Notes"])
    sheet.append(["Sphere A", 0.0995, "m^2", 0.002, "chamber B"])
    buffer = io.BytesIO()
    book.save(buffer)
    made = signed_in("nadia").proficiency.upload(round_id, "nrl.xlsx", buffer.getvalue())
    assert made[0]["value"] == pytest.approx(0.0995)
    assert made[0]["notes"] == "chamber B"
    sheet.append(["Sphere A", "0,1", "m^2", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(InvalidInput) as info:
        signed_in("alice").proficiency.upload(round_id, "afrl.xlsx", buffer.getvalue())
    assert [(e["row"], e["column"]) for e in info.value.data["errors"]] == [(3, "value")]
