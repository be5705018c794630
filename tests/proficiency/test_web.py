"""The proficiency pages as people use them: a laboratory sees only its own result
before close and the others under codes after; the round page carries the scores table
and the plots as inline SVG without style or script; forms refuse with the field named."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from caveat.bootstrap.container import Node
from caveat.server import create_server
from caveat.services.proficiency import ResultDraft
from caveat.web import wording
from tests.proficiency.support import VALUES, Trials, ctx
from tests.web.conftest import Browser, csrf_of


@pytest.fixture
def browser(node: Node, trials: Trials) -> Iterator[Browser]:
    with TestClient(create_server(node), raise_server_exceptions=False) as client:
        yield Browser(client, trials.world)


def _as(browser: Browser, trials: Trials, who: str) -> Browser:
    browser.client.cookies.clear()
    browser.sign_in(trials.world.accounts[who])
    return browser


def _form_page(browser: Browser, path: str) -> str:
    page = browser.client.get(path)
    assert page.status_code == 200, page.text
    browser.csrf = csrf_of(page.text)
    return str(page.text)


def test_blind_then_coded_with_plots(browser: Browser, trials: Trials) -> None:
    opened = trials.open()
    base = f"/proficiency/rounds/{opened.id}"
    _as(browser, trials, "alice")
    _form_page(browser, base)
    # A unit of another quantity is refused in the form, the field named.
    refused = browser.post(f"{base}/results", {"item": "Sphere A", "value": "1", "unit": "kg"})
    assert refused.status_code == 422
    assert "cannot be converted" in refused.text
    sent = browser.post(
        f"{base}/results",
        {"item": "Sphere A", "value": "1002", "unit": "cm^2", "u": "20", "k": "2"},
    )
    assert sent.status_code == 303, sent.text
    for who, value in VALUES.items():
        if who != "alice":
            trials.node.proficiency.submit(
                trials.principal(who),
                ctx(),
                opened.id,
                [ResultDraft("Sphere A", value, "m^2", standard_uncertainty=0.002)],
            )
    html = browser.client.get(base).text
    assert "Your laboratory" in html
    assert "0.1002" in html
    assert str(VALUES["arlo"]) not in html  # ARL's result is not on alice's page
    assert "<svg" not in html.split("</nav>", 1)[1]  # the bell icon is in the nav
    # The coordinator closes from the page.
    _as(browser, trials, "pam")
    _form_page(browser, base)
    assert browser.post(f"{base}/close").status_code == 303
    _as(browser, trials, "alice")
    html = browser.client.get(base).text
    assert "Scores for Sphere A" in html
    assert str(VALUES["arlo"]) in html
    assert re.search(r"<th scope=\"row\">L0\d AFRL \(yours\)</th>", html)
    others = re.findall(r"<th scope=\"row\">(L0\d)</th>", html)
    assert len(others) == 4  # the others by code only
    assert "Army Research Laboratory" not in html
    # results, scores, Mandel, kernel density and alice's own control chart (no Youden:
    # one item; no chart for another laboratory: she knows none of them)
    assert html.split("</nav>", 1)[1].count("<svg") == 5
    assert "z-scores across rounds of this procedure" in html
    assert "L0" in html.split('id="control-h"', 1)[1]
    assert 'role="img"' in html
    assert "style=" not in html
    assert "<script>" not in html
    assert "unsatisfactory" in html
    # Words, not the stored names; one form of the unit; one clean citation (issue 16).
    page = html.split("</nav>", 1)[1].split('id="control-h"', 1)[0]
    text = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)  # the plots are checked apart
    for name in ("algorithm_a", "robust_sd_of_round", "satisfactory_at_limit", "consensus,"):
        assert name not in text, name
    assert "Algorithm A" in text
    assert "robust standard deviation of the round" in text
    assert "a score at the limit is satisfactory" in text
    assert "m^2" not in text
    assert "m²" in text
    assert "consensus of the results (ISO 13528:2022 7.7.2, 7.7.3, C.3.1)" in text
    assert " (ISO 13528:2022 C.3.1))" not in text  # the citation inside a citation


def test_the_round_page_words() -> None:
    """The display helpers behind those words."""
    assert wording.unit_text("m^2") == "m²"
    assert wording.unit_text("m^-1 s^-2") == "m⁻¹ s⁻²"
    assert wording.unit_text(None) == ""
    assert wording.citation("ISO 13528:2022 8.6 (ISO 13528:2022 C.3.1)") == (
        "ISO 13528:2022 8.6, C.3.1"
    )
    assert wording.citation("ISO 13528:2022 C.3.1") == "ISO 13528:2022 C.3.1"
    assert wording.method_words("q_hampel") == "Q/Hampel"
    assert wording.method_words("something_new") == "something new"


def test_procedures_and_opening_a_round(browser: Browser, trials: Trials) -> None:
    _as(browser, trials, "walt")
    _form_page(browser, "/proficiency")
    made = browser.post(
        "/proficiency/procedures",
        {"project": trials.project, "name": "Horn gain", "label": "UNCLASSIFIED",
         "measurand": "gain", "unit": "furlongz", "method": "three antennas"},
    )  # fmt: skip
    assert made.status_code == 422
    assert "not a unit" in made.text
    made = browser.post(
        "/proficiency/procedures",
        {"project": trials.project, "name": "Horn gain", "label": "UNCLASSIFIED",
         "measurand": "gain", "unit": "dimensionless", "method": "three antennas"},
    )  # fmt: skip
    assert made.status_code == 303
    _as(browser, trials, "pam")
    html = _form_page(browser, "/proficiency")
    version = re.search(r'action="/proficiency/versions/([^/]+)/approve"', html)
    assert version is not None
    assert browser.post(f"/proficiency/versions/{version.group(1)}/approve").status_code == 303
    _form_page(browser, "/proficiency/rounds/new")
    day = (trials.clock() + timedelta(days=10)).date().isoformat()
    labs = [trials.orgs[s] for s in ("AFRL", "NRL", "ARL")]
    opened = browser.post(
        "/proficiency/rounds",
        {"project": trials.project, "version": version.group(1), "title": "Horn round",
         "deadline": day, "items": "Horn 1\nHorn 2", "label": "UNCLASSIFIED", "labs": labs,
         "robust_method": "q_hampel", "sigma_method": "prescribed", "sigma_value": "0.2"},
    )  # fmt: skip
    assert opened.status_code == 303, opened.text
    page = browser.client.get(opened.headers["location"]).text
    assert "Horn round" in page
    assert "Q/Hampel" in page  # the stored q_hampel, in words
    assert "Close and score the round" in page
