"""``client.proficiency``: test procedures, proficiency rounds, results and scores
(``/api/v1/proficiency``). Answers are the JSON the API documents."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caveat.client import CaveatClient

BASE = "/api/v1/proficiency"


class Proficiency:
    """Procedures, rounds and results through the client's session."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._client._call(method, f"{BASE}{path}", **kwargs)

    def procedures(self, project: str | None = None) -> list[dict[str, Any]]:
        """GET /procedures: your projects' procedures with the versions you may read."""
        return list(
            self._call("GET", "/procedures", params={"project": project} if project else None)
        )

    def create_procedure(self, **body: Any) -> dict[str, Any]:
        """POST /procedures: project, name, label, measurand, unit, method, ..."""
        return dict(self._call("POST", "/procedures", json=body))

    def add_version(self, procedure_id: str, **body: Any) -> dict[str, Any]:
        """POST /procedures/{id}/versions: a new draft version."""
        return dict(self._call("POST", f"/procedures/{procedure_id}/versions", json=body))

    def approve(self, version_id: str) -> dict[str, Any]:
        """POST /procedure-versions/{id}/approve."""
        return dict(self._call("POST", f"/procedure-versions/{version_id}/approve"))

    def rounds(self) -> list[dict[str, Any]]:
        """GET /rounds: your projects' rounds."""
        return list(self._call("GET", "/rounds"))

    def round(self, round_id: str) -> dict[str, Any]:
        """GET /rounds/{id}."""
        return dict(self._call("GET", f"/rounds/{round_id}"))

    def open_round(self, **body: Any) -> dict[str, Any]:
        """POST /rounds (programme managers)."""
        return dict(self._call("POST", "/rounds", json=body))

    def submit(
        self,
        round_id: str,
        results: Sequence[dict[str, Any]],
        *,
        label: str | None = None,
        procedure_version: str | None = None,
    ) -> list[dict[str, Any]]:
        """POST /rounds/{id}/submissions: your laboratory's results, all or none (and,
        with ``procedure_version``, the procedure version it followed)."""
        body: dict[str, Any] = {"results": list(results), "label": label}
        if procedure_version is not None:
            body["procedure_version"] = procedure_version
        return list(self._call("POST", f"/rounds/{round_id}/submissions", json=body))

    def resubmit(
        self, round_id: str, result: dict[str, Any], *, label: str | None = None
    ) -> dict[str, Any]:
        """PUT /rounds/{id}/submissions: replace your laboratory's result for one item
        while the round is open (the label may tighten, never loosen)."""
        body = {"result": result, "label": label}
        return dict(self._call("PUT", f"/rounds/{round_id}/submissions", json=body))

    def submission_history(self, submission_id: str) -> list[dict[str, Any]]:
        """GET /submissions/{id}/history: every revision of a result you may read."""
        return list(self._call("GET", f"/submissions/{submission_id}/history"))

    def declare_procedure(self, round_id: str, procedure_version: str) -> dict[str, Any]:
        """POST /rounds/{id}/declaration: the procedure version your laboratory follows."""
        body = {"procedure_version": procedure_version}
        return dict(self._call("POST", f"/rounds/{round_id}/declaration", json=body))

    def record_homogeneity(
        self,
        round_id: str,
        item: str,
        results: Sequence[Sequence[float]],
        *,
        sigma_pt: float | None = None,
    ) -> dict[str, Any]:
        """POST /rounds/{id}/checks/homogeneity (the coordinator): g rows of m replicates."""
        body = {"item": item, "results": [list(r) for r in results], "sigma_pt": sigma_pt}
        return dict(self._call("POST", f"/rounds/{round_id}/checks/homogeneity", json=body))

    def record_stability(
        self,
        round_id: str,
        item: str,
        before: Sequence[float],
        after: Sequence[float],
        *,
        sigma_pt: float | None = None,
    ) -> dict[str, Any]:
        """POST /rounds/{id}/checks/stability (the coordinator): results before and after."""
        body = {"item": item, "before": list(before), "after": list(after), "sigma_pt": sigma_pt}
        return dict(self._call("POST", f"/rounds/{round_id}/checks/stability", json=body))

    def precision(self, round_id: str) -> list[dict[str, Any]]:
        """GET /rounds/{id}/precision: a closed precision study's statistics per level."""
        return list(self._call("GET", f"/rounds/{round_id}/precision"))

    def workflow(self, round_id: str) -> dict[str, Any]:
        """GET /rounds/{id}/workflow: checks (failing ones named), declarable versions."""
        return dict(self._call("GET", f"/rounds/{round_id}/workflow"))

    def upload(
        self, round_id: str, filename: str, content: bytes, *, label: str | None = None
    ) -> list[dict[str, Any]]:
        """POST /rounds/{id}/uploads: a CSV or XLSX file of results, all rows or none."""
        body = {
            "filename": filename,
            "content": base64.b64encode(content).decode("ascii"),
            "label": label,
        }
        return list(self._call("POST", f"/rounds/{round_id}/uploads", json=body))

    def submissions(self, round_id: str) -> list[dict[str, Any]]:
        """GET /rounds/{id}/submissions: the results you may read."""
        return list(self._call("GET", f"/rounds/{round_id}/submissions"))

    def close(self, round_id: str) -> dict[str, Any]:
        """POST /rounds/{id}/close (the coordinator)."""
        return dict(self._call("POST", f"/rounds/{round_id}/close"))

    def cancel(self, round_id: str, reason: str) -> dict[str, Any]:
        """POST /rounds/{id}/cancel (the coordinator)."""
        return dict(self._call("POST", f"/rounds/{round_id}/cancel", json={"reason": reason}))

    def results(self, round_id: str) -> dict[str, Any]:
        """GET /rounds/{id}/results: scores you may read."""
        return dict(self._call("GET", f"/rounds/{round_id}/results"))

    def plot(self, round_id: str, item_id: str, kind: str) -> str:
        """GET /rounds/{id}/plots/{item}/{kind}: an SVG document."""
        from caveat.client import _error

        response = self._client._send("GET", f"{BASE}/rounds/{round_id}/plots/{item_id}/{kind}")
        if response.status_code >= 400:
            raise _error(response)
        return response.text

    def report(self, round_id: str, *, format: str = "pdf", laboratory: str | None = None) -> bytes:
        """GET /rounds/{id}/report: the round's report (or one laboratory's, by its
        code) as PDF or HTML bytes, marked with the roll-up of what it shows."""
        params = {"format": format}
        if laboratory is not None:
            params["laboratory"] = laboratory
        return self._client._body(f"{BASE}/rounds/{round_id}/report", params=params)
