"""The guarded ``requests`` session ``taxii_source`` hands to ``taxii2-client``
(imported when a subscription is first polled, not when the node starts):

- every connection's addresses are checked (``domain.taxii_feeds.address_refused``)
  before the request and again on the socket it used, so a name that resolves, or is
  rebound, to loopback, link-local or a metadata address is refused;
- no redirects are followed, no proxy or ``.netrc`` from the environment is used, and
  every request has a timeout;
- an answer is read up to a byte limit and refused beyond it.

Credentials go in the session's ``Authorization`` header only; errors name the URL's
host and the failure's kind, never a header.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.auth
from taxii2client.common import _HTTPConnection  # type: ignore[import-untyped]
from taxii2client.exceptions import TAXIIServiceException  # type: ignore[import-untyped]
from taxii2client.v21 import Collection, as_pages  # type: ignore[import-untyped]

from caveat.domain.taxii_feeds import FeedAuth, FeedCredentials, FeedPage, address_refused

MEDIA_TAXII = "application/taxii+json;version=2.1"
MAX_PAGES = 200  # per poll: a partner that always says "more" cannot hold the poller


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"


class _GuardedSession(requests.Session):
    """A requests session that connects only where the rules allow and reads bounded
    answers; it remembers the last answer's headers (taxii2-client returns JSON only)."""

    def __init__(self, *, max_bytes: int, timeout: float, unsafe_local: bool) -> None:
        super().__init__()
        self.trust_env = False  # no proxies, CA bundles or .netrc from the environment
        self.max_redirects = 0
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._unsafe_local = unsafe_local
        self.last_headers: Mapping[str, str] = {}

    def _check_name(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise ConnectionError(f"{host}: the name does not resolve") from exc
        for *_, address in found:
            why = address_refused(str(address[0]), unsafe_local=self._unsafe_local)
            if why is not None:
                raise ConnectionError(f"{host} resolves to {why}; refused")

    def _check_peer(self, answer: requests.Response) -> None:
        connection = getattr(answer.raw, "_connection", None)
        sock = getattr(connection, "sock", None)
        if sock is None:
            raise ConnectionError("the connection's address could not be checked; refused")
        why = address_refused(str(sock.getpeername()[0]), unsafe_local=self._unsafe_local)
        if why is not None:
            raise ConnectionError(f"connected to {why}; refused")

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        url = url.decode() if isinstance(url, bytes) else url
        method = method.decode() if isinstance(method, bytes) else method
        host = urlsplit(url).hostname
        self._check_name(url)
        kwargs["allow_redirects"] = False
        kwargs["stream"] = True
        kwargs.setdefault("timeout", self._timeout)
        try:
            answer = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            raise ConnectionError(f"{host}: {type(exc).__name__}") from None
        try:
            self._check_peer(answer)
            if answer.is_redirect:
                raise ConnectionError(f"{host} answered a redirect; not followed")
            body = bytearray()
            for chunk in answer.iter_content(64 << 10):
                body += chunk
                if len(body) > self._max_bytes:
                    raise ConnectionError(f"{host} answered more than {self._max_bytes} bytes")
        except requests.RequestException as exc:
            raise ConnectionError(f"{host}: {type(exc).__name__}") from None
        finally:
            answer.close()
        answer._content = bytes(body)
        self.last_headers = answer.headers  # case-insensitive
        return answer


def _added_last(headers: Mapping[str, str]) -> datetime | None:
    text = headers.get("X-TAXII-Date-Added-Last")
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Limits:
    """How partners are reached: timeout, largest answer, TLS trust, loopback allowed."""

    timeout: float
    max_bytes: int
    verify: bool | str
    unsafe_local: bool


class Reader:
    """A partner's collection opened with taxii2-client for one poll."""

    def __init__(self, limits: Limits) -> None:
        self._timeout = limits.timeout
        self._max_bytes = limits.max_bytes
        self._verify = limits.verify
        self._unsafe_local = limits.unsafe_local

    def _open(self, url: str, credentials: FeedCredentials) -> tuple[Collection, _GuardedSession]:
        if credentials.auth is FeedAuth.BASIC:
            auth: requests.auth.AuthBase | None = requests.auth.HTTPBasicAuth(
                credentials.username, credentials.secret
            )
        elif credentials.auth is FeedAuth.BEARER:
            auth = _Bearer(credentials.secret)
        else:
            auth = None
        conn = _HTTPConnection(verify=self._verify, version="2.1", auth=auth)
        session = _GuardedSession(
            max_bytes=self._max_bytes, timeout=self._timeout, unsafe_local=self._unsafe_local
        )
        session.verify = self._verify
        session.auth = auth
        conn.session.close()
        conn.session = session
        # Known as readable: taxii2-client would otherwise GET the collection first.
        info = {"id": url.rstrip("/").rsplit("/", 1)[-1], "title": "partner", "can_read": True,
                "can_write": False, "media_types": []}  # fmt: skip
        return Collection(url, conn=conn, collection_info=info), session

    def pages(
        self,
        url: str,
        credentials: FeedCredentials,
        *,
        added_after: datetime | None,
        per_page: int,
    ) -> Iterator[FeedPage]:
        collection, session = self._open(url, credentials)
        filters: dict[str, Any] = {}
        if added_after is not None:
            filters["added_after"] = added_after
        try:
            for count, envelope in enumerate(
                as_pages(collection.get_objects, per_request=per_page, **filters)
            ):
                if not isinstance(envelope, dict):
                    raise ConnectionError("the partner's answer is not a TAXII envelope")
                objects = envelope.get("objects", [])
                if not isinstance(objects, list):
                    raise ConnectionError("the partner's envelope has no list of objects")
                more = envelope.get("more") is True and count + 1 < MAX_PAGES
                yield FeedPage(objects, more, _added_last(session.last_headers))
                if not more:
                    return
        except requests.RequestException as exc:  # taxii2-client's own raise_for_status
            status = exc.response.status_code if exc.response is not None else None
            raise ConnectionError(f"the partner answered {status or type(exc).__name__}") from None
        except (
            ValueError,
            TAXIIServiceException,
        ) as exc:  # taxii2-client's JSON and content-type checks
            raise ConnectionError(f"the partner's answer is not TAXII 2.1: {exc}") from None
        finally:
            collection.close()

    def definitions(
        self, url: str, credentials: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        collection, _ = self._open(url, credentials)
        found: list[dict[str, Any]] = []
        try:
            for marking in ids:
                try:
                    envelope = collection.get_object(marking)
                except requests.HTTPError as exc:
                    status = exc.response.status_code if exc.response is not None else None
                    if status == 404:
                        continue  # the import refuses what refers to it: fail closed
                    raise ConnectionError(f"the partner answered {status}") from None
                for item in envelope.get("objects", []) if isinstance(envelope, dict) else []:
                    if isinstance(item, dict) and item.get("id") == marking:
                        found.append(item)
        except (ValueError, TAXIIServiceException) as exc:
            raise ConnectionError(f"the partner's answer is not TAXII 2.1: {exc}") from None
        finally:
            collection.close()
        return found
