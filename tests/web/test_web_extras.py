"""Pages that reach earlier issues' services: what-if, relabel, consistency proofs,
witnesses and cosignatures, the events CSV, clearances, a person's page and the keys."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.domain.ledger import CosignatureV1Signer, open_note
from caveat.domain.ledger.note import Signature
from caveat.domain.policy import GrantKind
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from caveat.services.ledger._witness import WitnessReply, WitnessService, parse_add_checkpoint
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import PROJECT, UK_LAB, Content
from tests.web.test_artifact_pages import banner_of

SHOCK = "Shock tube data"


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    made.member("bob", nations=("GBR",), lab=UK_LAB)
    made.member("dora", nations=("GBR",), lab=UK_LAB, member=False)
    made.member("grace", nations=("GBR",), lab=UK_LAB, roles=(Role.SECURITY_OFFICER,))
    made.member("audra", nations=("GBR",), lab=UK_LAB, roles=(Role.AUDITOR,), member=False)
    made.member("olga", nations=("GBR",), lab=UK_LAB, roles=(Role.NODE_OPERATOR,), member=False)
    made.put("sam", title=SHOCK, label="SECRET//REL TO USA, GBR")
    return made


def _cell(html: str, cell_id: str) -> str:
    match = re.search(rf'id="{cell_id}"[^>]*>([^<]+)<', html)
    assert match, cell_id
    return match.group(1).strip()


# --- what if -----------------------------------------------------------------------------


def test_what_if_shows_the_decision_before_and_after(browser: Browser, content: Content) -> None:
    shock = content.artifact_id(SHOCK)
    project = content.node.projects.get_project(PROJECT).id
    browser.sign_in(content.accounts["grace"])
    form = browser.client.get(f"/policy/what-if?person=bob&resource={shock}")
    assert form.status_code == 200
    assert "before-decision" not in form.text  # a question without changes is only a form
    lower: Any = browser.client.get(
        f"/policy/what-if?person=bob&resource={shock}&action=read&clearance=2"
        "&add_nation=&remove_nation=&clearance_expires=&join=&leave=&expire=&on="
    )
    assert lower.status_code == 200
    assert _cell(lower.text, "before-decision") == "Permitted"
    assert _cell(lower.text, "after-decision") == "Denied"
    assert "<strong>clearance dominates the classification</strong>" in lower.text  # moved
    assert "<td>none</td><td>clearance</td>" in lower.text  # failed requirements, both sides
    assert "If: clearance CONFIDENTIAL." in lower.text
    assert banner_of(lower.text) == "secret:SECRET//REL TO USA, GBR"
    joining = browser.client.get(
        f"/policy/what-if?person=dora&resource={shock}&clearance=&join={project}"
    )
    assert _cell(joining.text, "before-decision") == "Denied"
    assert _cell(joining.text, "after-decision") == "Permitted"
    assert f"If: joins project {PROJECT}." in joining.text
    higher = browser.client.get(
        f"/policy/what-if?person=bob&resource={shock}&clearance=&marking=TOP+SECRET%2F%2FREL+TO+USA%2C+GBR"
    )
    assert _cell(higher.text, "before-decision") == "Permitted"
    assert _cell(higher.text, "after-decision") == "Denied"
    assert "If: marked TOP SECRET//REL TO USA, GBR." in higher.text
    assert "<td>none</td><td>clearance</td>" in higher.text
    unreadable = browser.client.get(
        f"/policy/what-if?person=bob&resource={shock}&clearance=&marking=SECRET%2F%2FREL+USA"
    )
    assert unreadable.status_code == 422
    nothing = browser.client.get(f"/policy/what-if?person=bob&resource={shock}&clearance=")
    assert nothing.status_code == 422
    assert "name at least one change" in nothing.text
    bad = browser.client.get(
        f"/policy/what-if?person=bob&resource={shock}&add_nation=XX&clearance="
    )
    assert bad.status_code == 422
    assert "three-letter country code" in bad.text
    browser.sign_in(content.accounts["bob"])
    assert browser.client.get("/policy/what-if").status_code == 403


# --- relabel -----------------------------------------------------------------------------


def _previewed(html: str) -> str:
    match = re.search(r'name="previewed" value="([0-9a-f]{64})"', html)
    assert match, "no preview to confirm"
    return match.group(1)


def _relabel(browser: Browser, shock: str, values: dict[str, str]) -> Any:
    """Preview, then confirm exactly what was previewed."""
    preview: Any = browser.post(f"/artifacts/{shock}/relabel", values)
    assert preview.status_code == 200, preview.text
    confirmed = values | {"confirm": "yes", "previewed": _previewed(preview.text)}
    return browser.post(f"/artifacts/{shock}/relabel", confirmed)


def test_a_member_relabels_and_the_history_keeps_the_old_label(
    browser: Browser, content: Content
) -> None:
    shock = content.artifact_id(SHOCK)
    browser.sign_in(content.accounts["sam"])
    detail = browser.client.get(f"/artifacts/{shock}")
    assert f'href="/artifacts/{shock}/relabel"' in detail.text
    form = browser.client.get(f"/artifacts/{shock}/relabel")
    assert form.status_code == 200
    assert 'value="SECRET//REL TO USA, GBR"' in form.text  # the current label, to edit
    assert 'hx-post="/labels/check"' in form.text  # the upload's label builder
    forged = browser.client.post(
        f"/artifacts/{shock}/relabel", data={"csrf": "x", "label": "UNCLASSIFIED"}
    )
    assert forged.status_code == 403
    why = "classification review"
    wrong: Any = browser.post(
        f"/artifacts/{shock}/relabel", {"label": "SECRET//REL TO ATLANTIS", "reason": why}
    )
    assert wrong.status_code == 422
    assert "SECRET//REL TO ATLANTIS" in wrong.text  # what was typed stays
    above: Any = browser.post(
        f"/artifacts/{shock}/relabel", {"label": "TOP SECRET//NOFORN", "reason": why}
    )
    assert above.status_code == 403
    assert "labelled above what you may read yourself" in above.text
    # The preview says who would lose read access before anything changes.
    tighter = {"label": "secret//orcon/rel to gbr, usa", "controls": "", "reason": why}
    preview: Any = browser.post(f"/artifacts/{shock}/relabel", tighter)
    assert preview.status_code == 200
    assert "This tightens the label" in preview.text
    assert "Would lose read access" in preview.text
    unexplained: Any = browser.post(
        f"/artifacts/{shock}/relabel",
        tighter | {"reason": "", "confirm": "yes", "previewed": _previewed(preview.text)},
    )
    assert unexplained.status_code == 422
    assert "give a reason" in unexplained.text
    # A confirmation of something else than what was previewed is previewed again.
    changed: Any = browser.post(
        f"/artifacts/{shock}/relabel",
        tighter
        | {"label": "UNCLASSIFIED", "confirm": "yes", "previewed": _previewed(preview.text)},
    )
    assert changed.status_code == 200
    assert "This loosens the marking" in changed.text
    done = _relabel(browser, shock, tighter)
    assert done.status_code == 303, done.text
    page = browser.client.get(done.headers["location"])
    assert "Relabelled: SECRET//ORCON/REL TO USA, GBR (label version 2)." in page.text
    assert "Label history" in page.text
    assert "SECRET//REL TO USA, GBR (sam)" in page.text
    found = content.node.audit.search(
        ConsoleOperator(), EventFilter(action="artifact.relabelled", target_id=shock)
    )
    assert len(found.entries) == 1
    assert found.entries[0].data["reason"] == why


def test_a_reader_outside_the_project_asks_and_the_originators_officer_decides(
    browser: Browser, content: Content
) -> None:
    shock = content.artifact_id(SHOCK)
    content.node.grants.grant(
        ConsoleOperator(), CallContext.cli(), resource=shock, person="dora", kind=GrantKind.ACCESS
    )
    browser.sign_in(content.accounts["dora"])
    detail = browser.client.get(f"/artifacts/{shock}")
    assert detail.status_code == 200
    assert "You may download the content." in detail.text  # a reader...
    assert f"/artifacts/{shock}/relabel" in detail.text  # ...who may ask for a relabel
    preview: Any = browser.post(
        f"/artifacts/{shock}/relabel", {"label": "SECRET//REL TO USA, GBR", "reason": "check"}
    )
    assert "asked of the originating organisation" in preview.text
    asked = _relabel(
        browser, shock, {"label": "SECRET//REL TO USA, GBR", "reason": "marking check"}
    )
    assert asked.status_code == 303
    assert "Relabel requested" in browser.client.get(asked.headers["location"]).text
    assert content.node.artifacts.show(content.principal("sam"), shock).banner == (
        "SECRET//REL TO USA, GBR"
    )
    browser.sign_in(content.accounts["grace"])
    listed = browser.client.get("/releases")
    assert "marking check" in listed.text
    [request] = content.node.artifacts.relabel_requests(content.principal("grace"), awaiting=True)
    decided: Any = browser.post(
        f"/relabel-requests/{request.id}/decide", {"decision": "approve", "reason": "agreed"}
    )
    assert decided.status_code == 303, decided.text
    shown = content.node.artifacts.show(content.principal("sam"), shock)
    assert [lab.seq for lab in shown.labels] == [1, 2]
    assert content.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli()).clean


# --- the ledger ----------------------------------------------------------------------------


def test_a_consistency_proof_is_verified_in_the_page(browser: Browser, content: Content) -> None:
    node = content.node
    node.ledger.integrate()
    old = node.ledger.publish_now().size
    content.put("bob", title="Second run")
    node.ledger.integrate()
    new = node.ledger.publish_now().size
    assert new > old
    browser.sign_in(content.accounts["audra"])
    listing = browser.client.get("/ledger/checkpoints")
    assert f'href="/ledger/consistency?old={old}"' in listing.text
    page = browser.client.get(f"/ledger/consistency?old={old}")
    assert page.status_code == 200
    assert _cell(page.text, "proof-result").startswith(
        f"Verified: the tree of {old:,} entries is a prefix of the signed checkpoint of {new:,}"
    )
    assert page.text.count("✔ passed") == 5  # both signatures, both roots, the hashes
    unsigned = browser.client.get(f"/ledger/consistency?old={old - 1}&new={new}")
    assert unsigned.text.count("✔ passed") == 3
    assert "No checkpoint was published at" in unsigned.text
    beyond = browser.client.get(f"/ledger/consistency?old={new + 5}")
    assert beyond.status_code == 422
    assert "no consistency proof" in beyond.text
    missing = browser.client.get(f"/ledger/consistency?old=1&new={new + 5}")
    assert missing.status_code == 404


class Partner:
    """A witness in the test: cosigns whatever checkpoint our log signed."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.signer = CosignatureV1Signer(
            "partner.example/witness", Ed25519PrivateKey.generate(), timestamp=1_900_000_000
        )
        self.asked = 0

    def add_checkpoint(self, url: str, body: str) -> WitnessReply:
        self.asked += 1
        request = parse_add_checkpoint(body.encode())
        text = open_note(request.note, [self.node.ledger.verifier()]).text
        line = Signature(self.signer.name, self.signer.key_id, self.signer.sign(text)).line()
        return WitnessReply(200, "text/plain", line + "\n")


def test_witnesses_are_asked_and_cosignatures_listed_per_checkpoint(
    browser: Browser, content: Content
) -> None:
    node = content.node
    partner = Partner(node)
    node.witnesses = WitnessService(
        uow=node.uow,
        ledger=node.ledger,
        monitoring=node.monitoring,
        transport=partner,
        clock=content.world.clock,
    )
    vkey = partner.signer.verifier().vkey
    browser.sign_in(content.accounts["audra"])
    page = browser.client.get("/ledger/witnesses")
    assert page.status_code == 200
    assert node.witnesses.cosigner_vkey() in page.text
    assert "Add a witness" not in page.text  # auditors look; officers act
    assert browser.post("/ledger/witnesses/request").status_code == 403
    browser.sign_in(content.accounts["grace"])
    bad: Any = browser.post("/ledger/witnesses", {"vkey": "nonsense", "url": "https://p.example"})
    assert bad.status_code == 422
    added: Any = browser.post("/ledger/witnesses", {"vkey": vkey, "url": "https://p.example"})
    assert added.status_code == 303
    asked: Any = browser.post("/ledger/witnesses/request")
    assert asked.status_code == 200
    assert partner.asked == 1
    assert "cosigned" in asked.text
    (witness,) = node.witnesses.witnesses()
    assert 'name="witness" value="partner.example/witness"' in asked.text
    one: Any = browser.post("/ledger/witnesses/request", {"witness": witness.name})
    assert one.status_code == 200
    assert partner.asked == 2
    nobody: Any = browser.post("/ledger/witnesses/request", {"witness": "nobody"})
    assert nobody.status_code == 404
    assert "no witness named &#39;nobody&#39;" in nobody.text
    assert partner.asked == 2
    size = node.ledger.latest_checkpoint().size  # type: ignore[union-attr]
    detail = browser.client.get(f"/ledger/checkpoints/{size}")
    assert detail.status_code == 200
    assert _cell(detail.text, "signature-result").startswith(
        "Signed by this log's key; 1 witness cosignature verified."
    )
    assert "partner.example/witness" in detail.text
    assert "2030-03-17 17:46:40" in detail.text  # the cosignature's own timestamp
    listing = browser.client.get("/ledger/checkpoints")
    assert "partner.example/witness" in listing.text
    assert browser.client.get("/ledger/checkpoints/999999").status_code == 404


def test_the_event_search_downloads_as_csv(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["audra"])
    page = browser.client.get("/ledger?action=artifact.*")
    assert 'action="/ledger/events.csv"' in page.text
    assert 'name="action" value="artifact.*"' in page.text  # the filters ride along
    forged = browser.client.post("/ledger/events.csv", data={"csrf": "x", "action": "artifact.*"})
    assert forged.status_code == 403
    csv: Any = browser.post("/ledger/events.csv", {"action": "artifact.*", "outcome": ""})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    lines = csv.text.splitlines()
    assert lines[0] == lines[-1] == "MARKING: OFFICIAL"  # marked first and last (issue 16)
    assert lines[1].startswith("leaf_index,seq,id,occurred_at,type")
    assert any(",artifact.created," in line for line in lines)
    assert not any(",person.created," in line for line in lines)
    exported = content.node.audit.search(ConsoleOperator(), EventFilter(action="audit.exported"))
    assert len(exported.entries) == 1
    browser.sign_in(content.accounts["bob"])
    assert browser.post("/ledger/events.csv", {}).status_code == 403


# --- administration ------------------------------------------------------------------------


def test_clearances_and_a_persons_page(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["grace"])
    listing = browser.client.get("/admin/clearances")
    assert listing.status_code == 200
    assert 'href="/admin/people/bob"' in listing.text
    assert "2030-01-01" in listing.text
    assert 'href="/admin/keys"' not in listing.text  # keys are the operators'
    person = browser.client.get("/admin/people/bob")
    assert person.status_code == 200
    assert "Defence Science and Technology Laboratory" in person.text
    assert PROJECT in person.text
    assert "person.created" in person.text  # security officers see the account's history
    assert browser.client.get("/admin/people/nobody").status_code == 404


def _key_values(value: object) -> list[str]:
    """The key material (``value`` fields) of a Tink JSON keyset."""
    if isinstance(value, dict):
        own = [value["value"]] if isinstance(value.get("value"), str) else []
        return own + [s for v in value.values() for s in _key_values(v)]
    if isinstance(value, list):
        return [s for v in value for s in _key_values(v)]
    return []


def _secrets_of(node: Node) -> list[str]:
    """Every rendering of the node's private material a page could leak."""
    private = node.keys.signing_key().private_bytes_raw()
    secret = node.keys.secret_key()
    found = [base64.b64encode(private).decode(), private.hex()]
    found += [base64.b64encode(secret).decode(), secret.hex()]
    for path in node.keys.directory.iterdir():
        text = path.read_bytes().decode("utf-8", "replace")
        if path.suffix == ".json":
            found += _key_values(json.loads(text))
        elif path.suffix == ".pem":
            found += [line for line in text.splitlines() if line and not line.startswith("-")]
    return found


def test_the_keys_page_shows_public_parts_to_operators_only(
    browser: Browser, content: Content
) -> None:
    node = content.node
    browser.sign_in(content.accounts["olga"])
    page = browser.client.get("/admin/keys")
    assert page.status_code == 200
    assert node.identity.signing_public_key in page.text
    assert re.search(r'id="node-fingerprint">([0-9a-f]{2}:){31}[0-9a-f]{2}<', page.text)
    assert node.ledger.verifier().vkey in page.text
    status = node.artifact_admin.key_status()
    assert status.keys
    assert all(str(k.key_id) in page.text for k in status.keys)
    assert "Every data key is wrapped under the primary key." in page.text
    secrets = _secrets_of(node)
    assert len(secrets) >= 6  # both raw keys twice, the PEM body, the KEK's key value
    for secret in secrets:
        assert secret not in page.text
    browser.sign_in(content.accounts["bob"])
    refused = browser.client.get("/admin/keys")
    assert refused.status_code == 403
    browser.sign_in(content.accounts["grace"])
    assert browser.client.get("/admin/keys").status_code == 403


def test_an_officer_changes_roles_and_clearance_but_not_their_own(
    browser: Browser, content: Content
) -> None:
    officer = [u for u, a in content.accounts.items() if Role.SECURITY_OFFICER in a.person.roles]
    target = next(u for u, a in content.accounts.items() if u not in officer)
    me = officer[0]
    browser.sign_in(content.accounts[me])
    page = browser.client.get(f"/admin/people/{target}")
    assert f'action="/admin/people/{target}/changes"' in page.text
    before = content.node.people.get_person(target)
    fields = {
        "roles": ["researcher", "auditor"],
        "citizenships": ", ".join(before.citizenships),
        "residencies": "FRA",
        "clearance_level": "2",
        "clearance_name": "SECRET",
        "clearance_nation": before.citizenships[0],
        "clearance_expires": "2031-01-31",
    }
    review: Any = browser.post(f"/admin/people/{target}/changes", fields)
    assert review.status_code == 200, review.text
    assert 'id="confirm-change"' in review.text  # the effect first, nothing saved yet
    assert "gains the role auditor" in review.text
    assert f"{target} will " in review.text
    assert content.node.people.get_person(target).residencies == ()
    unexplained: Any = browser.post(
        f"/admin/people/{target}/changes", {**fields, "confirmed": "yes"}
    )
    assert unexplained.status_code == 422
    assert "give a reason" in unexplained.text
    saved: Any = browser.post(
        f"/admin/people/{target}/changes",
        {**fields, "confirmed": "yes", "reason": "audit duties, moved to France"},
    )
    assert saved.status_code == 303, saved.text
    after = content.node.people.get_person(target)
    assert {r.value for r in after.roles} == {"researcher", "auditor"}
    assert after.residencies == ("FRA",)
    assert after.clearance is not None
    assert after.clearance.expires.isoformat() == "2031-01-31"
    same: Any = browser.post(f"/admin/people/{target}/changes", fields)
    assert same.status_code == 422
    assert "nothing to change" in same.text
    own: Any = browser.post(f"/admin/people/{me}/changes", {**fields, "roles": ["node_operator"]})
    assert own.status_code == 403
    assert "nobody changes the facts that decide their own access" in own.text
