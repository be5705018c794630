"""``client.releases``: release requests, relabel requests and export records.

The types mirror the API's views of the same names (``Release``, ``RelabelRequest``,
``ExportRecord``, ``ExportReport``), parsed from the JSON the API documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caveat.client._parse import parse, parse_list

if TYPE_CHECKING:
    from caveat.client import CaveatClient


@dataclass(frozen=True, slots=True)
class Release:
    """A release request and where it stands."""

    id: str
    resource_id: str
    requested_by: str
    requested_at: str
    nations: tuple[str, ...]
    organisations: tuple[str, ...]
    justification: str
    status: str
    controls: tuple[str, ...] | None
    dual_use: bool
    dual_use_review: str
    not_controlled_reason: str
    authorization_id: str | None
    classified_by: str | None
    decided_by: str | None
    decision_reason: str
    classified_at: str | None = None
    decided_at: str | None = None
    label: str | None = None
    label_export: tuple[str, ...] | None = None
    label_dual_use: bool | None = None
    # Names for people (the list only): the title when the caller may discover the
    # resource, the requester's display name, each recipient organisation's name.
    resource_title: str | None = None
    requested_by_name: str | None = None
    organisation_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RelabelRequest:
    """A request to mark a resource differently, and its decision."""

    id: str
    resource_id: str
    requested_by: str
    requested_at: str
    banner: str
    export: tuple[str, ...]
    dual_use: bool
    reason: str
    status: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """Who released what to whom, under which authorization, approved by whom, when."""

    id: str
    release_request_id: str
    resource_id: str
    label_sha256: str
    content_sha256: str | None
    controls: tuple[str, ...]
    nations: tuple[str, ...]
    organisations: tuple[str, ...]
    authorization_id: str | None
    authorization_number: str | None
    requested_by: str
    approved_by: str
    released_at: str
    retain_until: str
    # Names for people (the list): the title when the caller may discover the resource,
    # the requester's and approver's display names, each recipient organisation's name.
    resource_title: str | None = None
    requested_by_name: str | None = None
    approved_by_name: str | None = None
    organisation_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One export record as the report shows it."""

    record_id: str
    released_at: str
    resource_id: str
    label_sha256: str
    content_sha256: str | None
    controls: tuple[str, ...]
    recipients: tuple[str, ...]
    authorization: str
    requested_by: str
    approved_by: str
    retain_until: str
    ledger_leaf: int | None
    ledger_agrees: bool
    resource_title: str | None = None  # None: the caller may not discover the resource
    requested_by_id: str = ""
    approved_by_id: str = ""


@dataclass(frozen=True, slots=True)
class AuthorizationTotal:
    """Records per authorization in the report."""

    authorization: str
    records: int
    first: str
    last: str
    retain_until: str


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The export-records report for one selection, and how many records the ledger
    does not confirm (should be zero)."""

    generated_at: str
    authorization: str | None
    since: str | None
    until: str | None
    lines: tuple[ReportLine, ...]
    totals: tuple[AuthorizationTotal, ...]
    disagreements: int


def _query(authorization: str | None, since: str | None, until: str | None) -> dict[str, Any]:
    given = {"authorization": authorization, "since": since, "until": until}
    return {k: v for k, v in given.items() if v is not None}


class Releases:
    """The release workflow as the signed-in person: request, classify, decide; relabel
    requests; export records."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def __call__(self, *, awaiting: bool = False) -> list[dict[str, Any]]:
        """The flat ``client.releases()`` of earlier SDKs (JSON objects); use ``requests``."""
        params = {"awaiting": "true"} if awaiting else None
        return list(self._client._call("GET", "/api/v1/releases", params=params))

    def requests(self, *, awaiting: bool = False) -> list[Release]:
        """GET /api/v1/releases (``awaiting``: only those waiting for the caller)."""
        return parse_list(Release, self(awaiting=awaiting))

    def request(
        self,
        resource: str,
        justification: str,
        nations: Sequence[str] = (),
        organisations: Sequence[str] = (),
    ) -> Release:
        """POST /api/v1/releases."""
        body = {
            "resource": resource,
            "justification": justification,
            "nations": list(nations),
            "organisations": list(organisations),
        }
        return parse(Release, self._client._call("POST", "/api/v1/releases", json=body))

    def classify(
        self,
        request_id: str,
        *,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
        authorization: str | None = None,
        not_controlled_reason: str = "",
        dual_use_review: str = "",
    ) -> Release:
        """POST /api/v1/releases/{id}/classification (export control officers)."""
        body = {
            "controls": None if controls is None else list(controls),
            "dual_use": dual_use,
            "authorization": authorization,
            "not_controlled_reason": not_controlled_reason,
            "dual_use_review": dual_use_review,
        }
        path = f"/api/v1/releases/{request_id}/classification"
        return parse(Release, self._client._call("POST", path, json=body))

    def decide(self, request_id: str, *, approve: bool, reason: str) -> Release:
        """POST /api/v1/releases/{id}/decision (the originator's security officer)."""
        body = {"approve": approve, "reason": reason}
        path = f"/api/v1/releases/{request_id}/decision"
        return parse(Release, self._client._call("POST", path, json=body))

    def relabel_requests(self, *, awaiting: bool = False) -> list[RelabelRequest]:
        """GET /api/v1/relabel-requests."""
        params = {"awaiting": "true"} if awaiting else None
        found = self._client._call("GET", "/api/v1/relabel-requests", params=params)
        return parse_list(RelabelRequest, found)

    def decide_relabel(self, request_id: str, *, approve: bool, reason: str) -> RelabelRequest:
        """POST /api/v1/relabel-requests/{id}/decision."""
        body = {"approve": approve, "reason": reason}
        path = f"/api/v1/relabel-requests/{request_id}/decision"
        return parse(RelabelRequest, self._client._call("POST", path, json=body))

    def export_records(
        self,
        *,
        authorization: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[ExportRecord]:
        """GET /api/v1/export-records (officers and auditors)."""
        query = _query(authorization, since, until)
        found = self._client._call("GET", "/api/v1/export-records", params=query)
        return parse_list(ExportRecord, found)

    def export_records_csv(
        self,
        *,
        authorization: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> str:
        """GET /api/v1/export-records.csv."""
        query = _query(authorization, since, until)
        return self._client._text("/api/v1/export-records.csv", params=query)

    def export_report(
        self,
        *,
        authorization: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ExportReport:
        """GET /api/v1/export-records/report: names, totals, ledger agreement."""
        query = _query(authorization, since, until)
        found = self._client._call("GET", "/api/v1/export-records/report", params=query)
        return parse(ExportReport, found)

    def export_records_pdf(
        self,
        *,
        authorization: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> bytes:
        """GET /api/v1/export-records.pdf."""
        query = _query(authorization, since, until)
        return self._client._body("/api/v1/export-records.pdf", params=query)
