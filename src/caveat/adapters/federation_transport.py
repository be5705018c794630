"""HTTPS to partner nodes (the ``PeerTransport`` port): one pooled httpx client that
verifies the peer's certificate against the system's trust store (or a bundle the
operator names), follows no redirects and reads at most a bounded answer."""

from __future__ import annotations

import ssl
from functools import cached_property

import httpx

# The largest answer is an outbox page with one release package of up to 64 MiB, in
# base64 inside JSON (about 86 MiB); anything larger from a peer is refused.
MAX_ANSWER_BYTES = 96 << 20


class HttpPeerTransport:
    """Sends signed requests over HTTPS."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        ca_bundle: str | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self._timeout, self._ca_bundle, self._given = timeout, ca_bundle, http

    @cached_property
    def _http(self) -> httpx.Client:
        # Made on first use: loading the trust store costs a noticeable fraction of a
        # second, and most processes that open a node never call a peer.
        if self._given is not None:
            return self._given
        trust = ssl.create_default_context(cafile=self._ca_bundle)  # TLS 1.2+, names checked
        return httpx.Client(timeout=self._timeout, verify=trust, follow_redirects=False)

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes,
        *,
        limit: int = MAX_ANSWER_BYTES,
    ) -> tuple[int, bytes]:
        ceiling = min(limit, MAX_ANSWER_BYTES)
        try:
            with self._http.stream(method, url, headers=headers, content=body) as answer:
                # Chunks joined once at the end: one copy of a large package, where a
                # growing buffer is copied as it grows and once more into bytes.
                chunks, size = [], 0
                for chunk in answer.iter_bytes():  # decoded: the limit holds after any gzip
                    size += len(chunk)
                    if size > ceiling:
                        raise ConnectionError(f"{url} answered more than {limit} bytes")
                    chunks.append(chunk)
                return answer.status_code, b"".join(chunks)
        except httpx.HTTPError as exc:
            raise ConnectionError(f"{url}: {type(exc).__name__}") from exc

    def close(self) -> None:
        if "_http" in self.__dict__:  # never made: nothing to close
            self._http.close()
