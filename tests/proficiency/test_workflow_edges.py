"""The proficiency workflows through the edges people use: the SDK against the API, the
command line and the round page's forms (the service's rules are in test_workflows.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import Conflict, NotFound, PermissionDenied
from caveat.server import create_server
from caveat.services.proficiency import ResultDraft
from tests.proficiency.support import Trials, ctx
from tests.proficiency.test_cli import As
from tests.web.conftest import Browser, csrf_of

SignIn = Callable[[str], CaveatClient]


@pytest.fixture
def run(http: TestClient, signed_in: SignIn, monkeypatch: pytest.MonkeyPatch) -> As:
    return As(http, signed_in, monkeypatch)


@pytest.fixture
def browser(node: Node, trials: Trials) -> Iterator[Browser]:
    with TestClient(create_server(node), raise_server_exceptions=False) as client:
        yield Browser(client, trials.world)


def _page(browser: Browser, trials: Trials, who: str, path: str) -> str:
    browser.client.cookies.clear()
    browser.sign_in(trials.world.accounts[who])
    page = browser.client.get(path)
    assert page.status_code == 200, page.text
    browser.csrf = csrf_of(page.text)
    return str(page.text)


# -- replacing a result ---------------------------------------------------------------


def test_replacing_through_the_api(trials: Trials, signed_in: SignIn) -> None:
    round_id = trials.open().id
    alice, nadia = signed_in("alice"), signed_in("nadia")
    result = {"item": "Sphere A", "value": 0.1102, "unit": "m^2"}
    (first,) = alice.proficiency.submit(round_id, [result])
    assert first["revision"] == 1
    replaced = alice.proficiency.resubmit(round_id, {**result, "value": 0.1002})
    assert (replaced["id"], replaced["revision"]) == (first["id"], 2)
    history = alice.proficiency.submission_history(first["id"])
    assert [h["value"] for h in history] == [0.1102, 0.1002]
    with pytest.raises(NotFound):  # blind: NRL does not learn AFRL's result exists
        nadia.proficiency.submission_history(first["id"])
    with pytest.raises(Conflict) as info:
        nadia.proficiency.resubmit(round_id, result)
    assert info.value.code == "nothing_to_replace"
    alice.proficiency.resubmit(round_id, result, label="SECRET//NOFORN")
    with pytest.raises(PermissionDenied) as denied:
        alice.proficiency.resubmit(round_id, result, label="UNCLASSIFIED")
    assert denied.value.code == "edit_loosens_label"


def test_replacing_on_the_command_line(trials: Trials, run: As) -> None:
    round_id = trials.open().id
    trials.node.proficiency.submit(
        trials.principal("alice"), ctx(), round_id, [ResultDraft("Sphere A", 0.11, "m^2")]
    )
    made = run(
        "alice", "resubmit", round_id, "--item", "Sphere A", "--value", "1002", "--unit", "cm^2"
    )
    assert made["revision"] == 2
    history = run("alice", "history", made["id"])
    assert [h["current"] for h in history] == [False, True]
    refused = run(
        "nadia",
        "resubmit",
        round_id,
        "--item",
        "Sphere A",
        "--value",
        "1",
        "--unit",
        "m^2",
        code=5,
    )
    assert refused["error"]["code"] == "nothing_to_replace"


def test_replacing_on_the_round_page(browser: Browser, trials: Trials) -> None:
    round_id = trials.open().id
    base = f"/proficiency/rounds/{round_id}"
    trials.node.proficiency.submit(
        trials.principal("alice"), ctx(), round_id, [ResultDraft("Sphere A", 0.11, "m^2")]
    )
    page = _page(browser, trials, "alice", base)
    assert "Replace a result" in page
    assert "revision 1" in page
    sent = browser.post(
        f"{base}/results/replace", {"item": "Sphere A", "value": "0.1002", "unit": "m^2"}
    )
    assert sent.status_code == 303, sent.text
    assert "revision 2" in _page(browser, trials, "alice", base)
    loosened = browser.post(
        f"{base}/results/replace",
        {"item": "Sphere A", "value": "0.1", "unit": "m^2", "label": "SECRET//NOFORN"},
    )
    assert loosened.status_code == 303
    _page(browser, trials, "alice", base)
    refused = browser.post(
        f"{base}/results/replace",
        {"item": "Sphere A", "value": "0.1", "unit": "m^2", "label": "UNCLASSIFIED"},
    )
    assert refused.status_code == 403
    assert "never loosens" in refused.text
    # Nadia's laboratory has nothing to replace: no form for her.
    assert "Replace a result" not in _page(browser, trials, "nadia", base)


# -- declaring the procedure version followed -----------------------------------------


def test_declaring_through_api_cli_and_page(
    trials: Trials, signed_in: SignIn, run: As, browser: Browser
) -> None:
    from tests.proficiency.test_workflows import _second_version

    opened = trials.open()
    second = _second_version(trials)
    nadia = signed_in("nadia")
    seen = nadia.proficiency.declare_procedure(opened.id, second)
    (mine,) = [lab for lab in seen["laboratories"] if lab["own"]]
    assert (mine["declared_version"], mine["deviates"]) == (2, True)
    made = signed_in("alice").proficiency.submit(
        opened.id,
        [{"item": "Sphere A", "value": 0.1, "unit": "m^2"}],
        procedure_version=opened.procedure_version_id,
    )
    assert made[0]["own"]
    declared = run("arlo", "declare", opened.id, "--version", second)
    assert [lab["deviates"] for lab in declared["laboratories"] if lab["own"]] == [True]
    base = f"/proficiency/rounds/{opened.id}"
    page = _page(browser, trials, "sandy", base)
    assert "Your laboratory follows" in page
    sent = browser.post(f"{base}/declaration", {"version": opened.procedure_version_id})
    assert sent.status_code == 303, sent.text
    coordinator = _page(browser, trials, "pam", base)
    assert coordinator.count("not the round's version</strong>") == 2


# -- homogeneity and stability of the items -------------------------------------------


def test_checks_through_api_cli_and_page(
    trials: Trials, signed_in: SignIn, run: As, browser: Browser
) -> None:
    from tests.proficiency.test_workflows import HOMOGENEOUS, UNEVEN

    round_id = trials.open().id
    pam = signed_in("pam")
    made = pam.proficiency.record_homogeneity(round_id, "Sphere A", HOMOGENEOUS, sigma_pt=0.005)
    assert made["passed"]
    assert made["statistic_name"] == "s_s"
    with pytest.raises(PermissionDenied):
        signed_in("alice").proficiency.record_stability(
            round_id, "Sphere A", [0.1], [0.1], sigma_pt=0.005
        )
    rows = [f"--row={a};{b}" for a, b in UNEVEN]
    failed = run(
        "pam", "check-homogeneity", round_id, "--item", "Sphere A", *rows, "--sigma-pt", "0.005"
    )
    assert failed["passed"] is False
    listed = run("nadia", "checks", round_id)
    assert listed["failing"] == ["Sphere A: homogeneity"]
    assert listed["unchecked"] == ["Sphere A: stability"]
    base = f"/proficiency/rounds/{round_id}"
    page = _page(browser, trials, "pam", base)
    assert "Record a stability check" in page
    assert "Failing: Sphere A: homogeneity" in page
    sent = browser.post(
        f"{base}/checks",
        {
            "kind": "stability",
            "item": "Sphere A",
            "before": "0.1;0.1002",
            "after": "0.1001",
            "sigma_pt": "0.005",
        },
    )
    assert sent.status_code == 303, sent.text
    assert "passes" in sent.headers["location"]
    refused = browser.post(
        f"{base}/checks", {"kind": "homogeneity", "item": "Sphere A", "results": "0.1"}
    )
    assert refused.status_code == 422
    nadia_page = _page(browser, trials, "nadia", base)
    assert "Item checks" in nadia_page
    assert "Record a stability check" not in nadia_page


# -- precision studies ----------------------------------------------------------------


def test_a_precision_study_through_api_cli_and_page(
    trials: Trials, signed_in: SignIn, run: As, browser: Browser
) -> None:
    from tests.proficiency.test_workflows import _precision_round

    round_id = _precision_round(trials)
    pam = signed_in("pam")
    assert pam.proficiency.round(round_id)["kind"] == "precision_study"
    assert pam.proficiency.precision(round_id) == []
    base = f"/proficiency/rounds/{round_id}"
    assert "Precision study (ISO 5725-2)" in _page(browser, trials, "alice", base)
    pam.proficiency.close(round_id)
    (level,) = signed_in("nadia").proficiency.precision(round_id)
    assert len(level["outliers"]) == 1
    assert level["tests"][0]["kind"] == "cochran"
    listed = run("arlo", "precision", round_id)
    assert listed[0]["s_r"] == pytest.approx(level["s_r"])
    page = _page(browser, trials, "alice", base)
    assert "Outlier tests in the order run" in page
    assert "outlier</td>" in page


def test_opening_a_precision_study_in_the_form(browser: Browser, trials: Trials) -> None:
    version = trials.procedure()
    page = _page(browser, trials, "pam", "/proficiency/rounds/new")
    assert 'value="precision_study"' in page
    sent = browser.post(
        "/proficiency/rounds",
        {
            "project": trials.project,
            "version": version,
            "title": "Sphere precision 2026",
            "deadline": "2099-01-01",
            "items": "Level 1\nLevel 2",
            "label": "UNCLASSIFIED",
            "labs": [trials.orgs["AFRL"], trials.orgs["NRL"], trials.orgs["ARL"]],
            "kind": "precision_study",
        },
    )
    assert sent.status_code == 303, sent.text
    (made,) = trials.node.proficiency.rounds(trials.principal("pam"))
    assert made.kind == "precision_study"
