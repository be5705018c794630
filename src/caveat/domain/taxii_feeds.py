"""Subscriptions to partners' TAXII 2.1 collections (issue 20, ADR 0023 addendum): the
rules that need no I/O.

- Where a node may fetch from: an ``https://`` collection URL whose host is not this
  host's own infrastructure (loopback, link-local, cloud metadata, unspecified,
  multicast). The one escape hatch, for tests that serve a partner on loopback over
  plain HTTP, is named ``unsafe_local`` so nobody turns it on by accident.
- What may come in: an object whose label is at least as protective as the
  subscription's label (``labels.dominates``); anything marked wider (a lower level,
  fewer caveats, a wider REL TO, a lighter TLP) is refused, never narrowed silently.
  Unmarked objects take the subscription's label itself.
- How failing polls back off: 30 s doubling to 6 h.
- Credentials, which never print.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import Label, SchemeRegistry, dominates

BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=6)
MAX_URL = 500
MIN_INTERVAL = timedelta(minutes=1)
MAX_INTERVAL = timedelta(days=7)
MAX_SECRET = 4096

_METADATA = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    }
)


class FeedAuth(StrEnum):
    """How the partner's TAXII server is asked: HTTP Basic, a bearer token, or nothing."""

    BASIC = "basic"
    BEARER = "bearer"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FeedCredentials:
    """What a subscription presents to the partner; ``secret`` never prints."""

    auth: FeedAuth
    username: str = ""
    secret: str = ""

    def __repr__(self) -> str:
        return f"FeedCredentials(auth={self.auth.value!r}, secret=<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a partner's TAXII collection: its objects as sent, whether more
    follow, and the ``X-TAXII-Date-Added-Last`` the partner gave (None: not given)."""

    objects: list[dict[str, Any]]
    more: bool
    last_added: datetime | None


def _invalid(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_taxii_endpoint", field=field)


def credentials(auth: str, username: str = "", secret: str = "") -> FeedCredentials:
    """Checked credentials: Basic needs a username and a password, a bearer a token,
    none neither."""
    try:
        kind = FeedAuth(auth)
    except ValueError:
        raise InvalidInput(
            "auth is basic, bearer or none", code="invalid_input", field="auth"
        ) from None
    username = username.strip()
    if len(secret) > MAX_SECRET or len(username) > 300:
        raise InvalidInput("credentials are too long", code="invalid_input", field="secret")
    if any(c in secret + username for c in "\r\n\x00"):
        raise InvalidInput("credentials hold no line breaks", code="invalid_input", field="secret")
    if kind is FeedAuth.BASIC and not (username and secret):
        raise InvalidInput(
            "HTTP Basic needs a username and a password", code="invalid_input", field="secret"
        )
    if kind is FeedAuth.BEARER and (not secret or username):
        raise InvalidInput(
            "a bearer token needs the token only", code="invalid_input", field="secret"
        )
    if kind is FeedAuth.NONE and (secret or username):
        raise InvalidInput("auth none takes no credentials", code="invalid_input", field="secret")
    return FeedCredentials(kind, username, secret)


def address_refused(address: str, *, unsafe_local: bool = False) -> str | None:
    """Why this node may not connect to ``address`` (None: it may). Loopback is refused
    unless ``unsafe_local`` (tests); metadata, link-local, unspecified and multicast
    addresses always are."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_loopback and not unsafe_local:
        return "a loopback address"
    return None


def require_collection_url(url: str, *, unsafe_local: bool = False) -> str:
    """A partner's collection URL (``https://host[:port]/.../collections/{id}/``): no
    credentials, query or fragment; an IP literal must be one this node may reach.
    Plain ``http://`` only with ``unsafe_local`` (tests)."""
    url = url.strip()
    parts = urlsplit(url)
    schemes = ("https", "http") if unsafe_local else ("https",)
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
        or len(url) > MAX_URL
        or any(c.isspace() for c in url)
    ):
        raise _invalid(
            "a TAXII collection URL is https:// without credentials, query or fragment",
            "url",
        )
    if "/collections/" not in parts.path:
        raise _invalid("the URL names a collection: https://host/api-root/collections/{id}/", "url")
    host = parts.hostname.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            why = None if unsafe_local else "a loopback address"
        else:
            why = None  # a name: its addresses are checked on every connection
    else:
        why = address_refused(host, unsafe_local=unsafe_local)
    if why is not None:
        # A partner must not point this node at its own infrastructure.
        raise _invalid(f"a TAXII collection may not be at {why}", "url")
    return url if url.endswith("/") else url + "/"


def require_interval(seconds: int) -> timedelta:
    """How often to poll: a minute to a week."""
    interval = timedelta(seconds=seconds)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise InvalidInput(
            "poll every 60 s to 7 days", code="invalid_input", field="interval_seconds"
        )
    return interval


def backoff(failures: int) -> timedelta:
    """The wait after ``failures`` polls in a row failed: 30 s doubling to 6 h."""
    delay: timedelta = BACKOFF_FIRST * 2 ** min(max(failures, 1) - 1, 20)
    return min(BACKOFF_MAX, delay)


def wider_than(
    label: Label,
    allowed: Label,
    *,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
) -> bool:
    """Whether ``label`` would let someone read what the subscription's ``allowed``
    label would not: it is not at least as protective in every respect."""
    return not dominates(label, allowed, groups=groups, on=on, schemes=schemes)
