"""Behind `caveat serve` (web and API on one app) the C2SP log protocols answer errors as
the API does, in problem+json: partners' tools read them, never the web's HTML page."""

from __future__ import annotations

import pytest

from tests.web.conftest import Browser

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("method", "path", "media_type"),
    [
        ("GET", "/tile/0/x001/2", PROBLEM),  # not how tlog-tiles spells a tile
        ("GET", "/tile/entries/999", PROBLEM),  # past the tree
        ("GET", "/tile/0/999", PROBLEM),
        ("GET", "/tile/", PROBLEM),
        # tlog-witness answers its refusals in text/plain with the statuses it fixes
        ("POST", "/add-checkpoint", "text/plain"),
    ],
)
def test_log_protocol_errors_are_the_apis_behind_serve(
    browser: Browser, method: str, path: str, media_type: str
) -> None:
    response = browser.client.request(method, path)
    assert response.status_code >= 400
    assert response.headers["content-type"].startswith(media_type), response.text[:200]
    assert "<html" not in response.text.lower()


def test_a_web_page_that_is_not_found_is_still_html(browser: Browser) -> None:
    response = browser.client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
