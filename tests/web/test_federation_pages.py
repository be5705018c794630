"""The partner-node pages over the real services: an operator records a descriptor, a
security officer who did not record it accepts it by its fingerprint (a wrong one is
refused in the page), says who receives releases, and reads the dry run item by item."""

from __future__ import annotations

import json
from typing import Any

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.federation.test_peers import descriptor, fingerprint
from tests.support import Scenario
from tests.web.conftest import Browser

CONSOLE = ConsoleOperator()


def _peer_id(node: Node, name: str) -> str:
    [peer] = [p for p in node.federation.peers(CONSOLE) if p.name == name]
    return peer.id


def test_peering_recipient_and_preview_in_the_browser(
    browser: Browser, world: Scenario, node: Node
) -> None:
    afrl = world.org("Air Force Research Laboratory", "USA")
    dstl = world.org("Defence Science and Technology Laboratory", "GBR")
    world.person("olga", roles=(Role.NODE_OPERATOR,), org=afrl)
    world.person("sol", roles=(Role.SECURITY_OFFICER,), org=afrl)
    world.person("rita", org=afrl)
    project = node.projects.create_project(CONSOLE, CallContext.cli(), name="Radar").id
    node.projects.add_member(CONSOLE, CallContext.cli(), project, "sol")
    label = parse_marking(
        "SECRET//REL TO USA, GBR", groups=node.registry.directory(), on=world.clock().date()
    )
    node.catalogue.register(
        CONSOLE,
        CallContext.cli(),
        project=project,
        kind="document",
        title="Trial plan",
        label=label,
        originator=afrl,
    )
    text = descriptor(nation="GBR", name="DSTL node")

    # A researcher has no Partners link and the page refuses her.
    browser.sign_in(world.accounts["rita"])
    assert 'href="/federation"' not in browser.client.get("/").text
    assert browser.client.get("/federation").status_code == 403

    browser.sign_in(world.accounts["olga"])
    assert 'href="/federation"' in browser.client.get("/").text
    bad = browser.post("/federation", {"descriptor": '{"protocol": "caveat.federation/1"}'})
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    made = browser.post("/federation", {"descriptor": json.dumps(text)})
    assert made.status_code == 303, made.text
    peer = _peer_id(node, "DSTL node")

    # sol is AFRL's officer: trusting a partner's keys and who receives releases are the
    # operating organisation's calls.
    browser.sign_in(world.accounts["sol"])
    page = browser.client.get("/federation").text
    assert fingerprint(text) in page
    assert f"/federation/{peer}/accept" not in page
    assert f"/federation/{peer}/recipient" not in page  # not the operating organisation's
    assert f"/federation/{peer}/revoke" not in page
    not_sol = browser.post(f"/federation/{peer}/accept", {"fingerprint": fingerprint(text)})
    assert not_sol.status_code == 403
    assert "organisation operating this node" in not_sol.text
    operating = world.org("Caveat Node Operations (GBR)", "GBR")
    world.person("nso", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=operating)
    browser.sign_in(world.accounts["nso"])
    assert f"/federation/{peer}/accept" in browser.client.get("/federation").text
    wrong = browser.post(f"/federation/{peer}/accept", {"fingerprint": "0000 " * 16})
    assert wrong.status_code == 409
    assert "does not match" in wrong.text
    right = browser.post(f"/federation/{peer}/accept", {"fingerprint": fingerprint(text)})
    assert right.status_code == 303, right.text
    unset = browser.client.get(f"/federation/{peer}/preview")
    assert unset.status_code == 409  # nobody has said who receives it yet
    chosen = {"organisation": dstl, "accredited": "SECRET"}
    assert f"/federation/{peer}/recipient" in browser.client.get("/federation").text
    set_ = browser.post(f"/federation/{peer}/recipient", chosen)
    assert set_.status_code == 303, set_.text
    assert "up to SECRET" in browser.client.get(set_.headers["location"]).text
    # The same officer names the project received items go into (an unknown one is
    # refused in the page); an officer of another organisation may not.
    assert f"/federation/{peer}/receiving-project" in browser.client.get("/federation").text
    unknown = browser.post(f"/federation/{peer}/receiving-project", {"project": "Nowhere"})
    assert unknown.status_code == 404
    named = browser.post(f"/federation/{peer}/receiving-project", {"project": "Radar"})
    assert named.status_code == 303, named.text
    assert "goes into Radar" in browser.client.get(named.headers["location"]).text
    assert node.federation.peer(CONSOLE, peer).receiving_project == "Radar"
    browser.sign_in(world.accounts["sol"])
    assert f"/federation/{peer}/receiving-project" not in browser.client.get("/federation").text
    not_hers = browser.post(f"/federation/{peer}/receiving-project", {"project": ""})
    assert not_hers.status_code == 403
    preview = browser.client.get(f"/federation/{peer}/preview")
    assert preview.status_code == 200
    html: Any = preview.text
    assert "Trial plan" in html
    assert "agreement:" in html  # no agreement is named yet: the reason is shown
    assert "0</strong> would go" in html
    listing = browser.client.get("/federation").text
    assert "not synced yet" in listing
    assert "Nothing received that you may read" in listing
    # No agreement is named yet: the release is refused by the policy, nothing is sent.
    [item] = [i for i in node.federation.preview(CONSOLE, peer).items]
    refused = browser.post(f"/federation/{peer}/release", {"artifact": item.resource_id})
    assert refused.status_code == 403
    assert "may not be released" in refused.text
    # The release form offers the key mode (offline by default); a split release is
    # decided by the same policy.
    assert 'name="key_mode"' in listing
    assert '<option value="offline">' in listing
    split = browser.post(
        f"/federation/{peer}/release", {"artifact": item.resource_id, "key_mode": "split"}
    )
    assert split.status_code == 403
    assert "may not be released" in split.text
    # The officer's Recall form: what was never released is refused in the page, and the
    # Recalls section says there are none.
    assert f'action="/federation/{peer}/recall"' in listing
    assert "No recalls." in listing
    never = browser.post(
        f"/federation/{peer}/recall", {"artifact": item.resource_id, "reason": "mis_release"}
    )
    assert never.status_code == 404
    assert "nothing of" in never.text
    assert node.federation_releases.recalls.recalls(CONSOLE) == []
