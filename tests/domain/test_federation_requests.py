"""The rules a partner's request is judged by: its digest and its validity window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caveat.domain.federation_requests import (
    CLOCK_SKEW,
    MAX_LIFETIME,
    Refusal,
    content_digest,
    digest_matches,
    window_refusal,
)

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "digest"),
    [
        # RFC 9530 section 2 and RFC 9421 appendix B.2 (the same JSON with a newline).
        (b'{"hello": "world"}', "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"),
        (b'{"hello": "world"}\n', "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"),
    ],
)
def test_content_digest_matches_the_rfc_examples(body: bytes, digest: str) -> None:
    assert content_digest(body) == digest
    assert digest_matches(digest, body)
    assert not digest_matches(digest, body + b" ")


def test_only_the_one_digest_form_is_accepted() -> None:
    body = b"payload"
    assert not digest_matches(None, body)
    assert not digest_matches(content_digest(body).replace("sha-256", "sha-512"), body)
    assert not digest_matches(f"md5=:x:, {content_digest(body)}", body)


@pytest.mark.parametrize(
    ("created", "lifetime", "expected"),
    [
        (NOW, MAX_LIFETIME, None),
        (NOW + CLOCK_SKEW, timedelta(minutes=1), None),
        (NOW + CLOCK_SKEW + timedelta(seconds=1), timedelta(minutes=1), Refusal.NOT_YET_VALID),
        (NOW - timedelta(minutes=1) - CLOCK_SKEW, timedelta(minutes=1), None),
        (NOW - timedelta(minutes=1, seconds=1) - CLOCK_SKEW, timedelta(minutes=1), Refusal.EXPIRED),
        (NOW, MAX_LIFETIME + timedelta(seconds=1), Refusal.TOO_LONG),
        (NOW, timedelta(0), Refusal.MALFORMED),
        (NOW, -timedelta(seconds=1), Refusal.MALFORMED),
    ],
)
def test_the_validity_window(
    created: datetime, lifetime: timedelta, expected: Refusal | None
) -> None:
    assert window_refusal(created, created + lifetime, NOW) is expected
