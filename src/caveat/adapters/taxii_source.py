"""Partners' TAXII 2.1 collections read with OASIS's ``taxii2-client`` (the
``FeedSource`` port of ``services.kernel.ports``), over a guarded session
(``_taxii_http``: addresses checked on every connection, no redirects, no proxies from
the environment, timeouts, answers read up to a limit). taxii2-client and requests are
imported at the first poll, not when the node starts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from caveat.domain.taxii_feeds import FeedCredentials, FeedPage


class TaxiiSource:
    """Reads partners' collections; one taxii2-client connection per poll."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        max_bytes: int = 16 << 20,
        ca_bundle: str | None = None,
        unsafe_local: bool = False,
    ) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._verify: bool | str = ca_bundle or True
        self._unsafe_local = unsafe_local

    def _reader(self) -> Any:
        from caveat.adapters._taxii_http import Limits, Reader

        return Reader(Limits(self._timeout, self._max_bytes, self._verify, self._unsafe_local))

    def pages(
        self,
        url: str,
        credentials: FeedCredentials,
        *,
        added_after: datetime | None,
        per_page: int,
    ) -> Iterator[FeedPage]:
        """The collection's objects added after ``added_after``, a page at a time."""
        reader = self._reader()
        return reader.pages(url, credentials, added_after=added_after, per_page=per_page)  # type: ignore[no-any-return]

    def definitions(
        self, url: str, credentials: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The marking definitions ``ids`` as the partner gives them (those it has)."""
        return self._reader().definitions(url, credentials, ids)  # type: ignore[no-any-return]
