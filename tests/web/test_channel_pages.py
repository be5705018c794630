"""The channel pages: the list and its form, one channel's page with the messages the
viewer may read (each with its portion mark, the banner their roll-up), publishing
through the page's form, and the banner the live script asks for."""

from __future__ import annotations

import pytest

from caveat.bootstrap.container import Node
from caveat.web.routes import channels as channel_pages
from tests.channels.support import Alliance, build, ctx, event_id, run
from tests.support import FakeClock
from tests.web.conftest import Browser


@pytest.fixture
def alliance(node: Node, clock: FakeClock) -> Alliance:
    return build(node, clock)


def _publish(alliance: Alliance, who: str, label: str, body: str) -> str:
    node = alliance.node
    done = run(
        node,
        node.channels.publish(
            alliance.principal(who), ctx(), alliance.channel, label=label, body=body
        ),
    )
    return done.id


def _sign_in(browser: Browser, alliance: Alliance, who: str) -> None:
    browser.world = alliance.world
    browser.sign_in(alliance.world.accounts[who])


def test_the_list_shows_readable_channels_and_the_form_to_those_allowed(
    browser: Browser, alliance: Alliance
) -> None:
    _sign_in(browser, alliance, "alice")
    page = browser.client.get("/channels")
    assert page.status_code == 200
    assert "Trial status" in page.text
    assert f'href="/channels/{alliance.channel}"' in page.text
    assert "Open a channel" not in page.text  # researchers do not open channels


def test_a_programme_manager_opens_a_channel_from_the_page(
    browser: Browser, alliance: Alliance
) -> None:
    _sign_in(browser, alliance, "paula")
    assert "Open a channel" in browser.client.get("/channels").text
    made = browser.post("/channels", {"name": "Range weather", "project": "Range telemetry"})
    assert made.status_code == 303, made.text
    assert made.headers["location"].startswith("/channels/")
    page = browser.client.get(made.headers["location"])
    assert "<h1>Range weather</h1>" in page.text
    refused = browser.post("/channels", {"name": "Nowhere", "project": "No such project"})
    assert refused.status_code == 404
    assert 'role="alert"' in refused.text


def test_an_outsider_gets_no_channel_page(browser: Browser, alliance: Alliance) -> None:
    _sign_in(browser, alliance, "eve")
    assert "Trial status" not in browser.client.get("/channels").text
    assert browser.client.get(f"/channels/{alliance.channel}").status_code == 404
    fifth = event_id(alliance.channel, 5)
    banner = browser.client.get(f"/channels/{alliance.channel}/banner?after=0&upto={fifth}")
    assert banner.status_code == 404


def test_each_viewer_sees_their_messages_and_a_banner_rolling_them_up(
    browser: Browser, alliance: Alliance, monkeypatch: pytest.MonkeyPatch
) -> None:
    _publish(alliance, "alice", "UNCLASSIFIED", "range open")
    _publish(alliance, "alice", "SECRET//NOFORN", "seeker serial 7")
    _publish(alliance, "bob", "CONFIDENTIAL//REL TO USA, GBR", "wind 12 kt")
    _sign_in(browser, alliance, "bob")
    page = browser.client.get(f"/channels/{alliance.channel}")
    assert page.status_code == 200
    assert "range open" in page.text
    assert "wind 12 kt" in page.text
    assert "seeker serial 7" not in page.text  # NOFORN: not for a GBR reader
    assert "(C//REL TO USA, GBR)" in page.text
    assert "(U)" in page.text
    marking = page.text.split('data-marking="')[1].split('"')[0]
    assert marking.endswith("//REL TO USA, GBR")  # in bob's national form (no NOFORN)
    assert 'src="/static/channel.js"' in page.text
    at = {n: event_id(alliance.channel, n) for n in (0, 1, 3, 4, 99)}
    assert f'data-after="{at[0]}" data-upto="{at[3]}"' in page.text
    assert 'id="label"' in page.text
    assert 'hx-post="/labels/check"' in page.text
    # The banner the live script asks for: of (after, upto], for this viewer, decided now.
    only_first = browser.client.get(f"/channels/{alliance.channel}/banner?after=0&upto={at[1]}")
    assert only_first.json()["text"] == "OFFICIAL"  # bob's words for UNCLASSIFIED
    assert only_first.headers["cache-control"] == "no-store"
    both = browser.client.get(f"/channels/{alliance.channel}/banner?after=0&upto={at[3]}").json()
    assert both["text"] == marking  # the page's own banner
    assert both["note"]
    _publish(alliance, "alice", "UNCLASSIFIED", "later")
    capped = browser.client.get(
        f"/channels/{alliance.channel}/banner?after={at[0]}&upto={at[99]}"
    ).json()
    assert capped["text"] == marking  # upto is capped at the newest
    # A range wider than one read marks at the viewer's highest level, never lower.
    monkeypatch.setattr(channel_pages, "SPAN", 1)
    wide = browser.client.get(f"/channels/{alliance.channel}/banner?after=0&upto={at[4]}").json()
    assert wide["text"].startswith("SECRET")
    assert not wide["complete"]
    # Numbers are not event ids: a reader cannot name places it was never given.
    for after, upto in (("-1", at[3]), ("0", "2"), ("1" + "A" * 32, at[3])):
        refused = browser.client.get(
            f"/channels/{alliance.channel}/banner?after={after}&upto={upto}"
        )
        assert refused.status_code in (400, 422), (after, upto)


def test_publishing_through_the_form(browser: Browser, alliance: Alliance) -> None:
    _sign_in(browser, alliance, "alice")
    sent = browser.post(
        f"/channels/{alliance.channel}/messages",
        {"body": "target acquired", "label": "SECRET//REL TO USA, GBR"},
    )
    assert sent.status_code == 303, sent.text
    page = browser.client.get(sent.headers["location"])
    assert "target acquired" in page.text
    assert "(S//REL TO USA, GBR)" in page.text
    assert 'data-marking="SECRET//REL TO USA, GBR"' in page.text  # alice is of the USA
    too_high = browser.post(
        f"/channels/{alliance.channel}/messages", {"body": "x", "label": "TOP SECRET"}
    )
    assert too_high.status_code in (403, 422)
    bad = browser.post(f"/channels/{alliance.channel}/messages", {"body": "x", "label": "BOGUS"})
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    missing_csrf = browser.client.post(
        f"/channels/{alliance.channel}/messages", data={"body": "x", "label": "UNCLASSIFIED"}
    )
    assert missing_csrf.status_code == 403
