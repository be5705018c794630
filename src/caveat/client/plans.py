"""``client.plans``: project plans (``/api/v1/plans``). Answers are the JSON the API
documents: only what the signed-in reader may read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from caveat.client import CaveatClient

BASE = "/api/v1/plans"


def _q(ref: str) -> str:
    return quote(ref, safe="")


class Plans:
    """Work packages, tasks, milestones, deliverables and the agenda through the client."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._client._call(method, f"{BASE}{path}", **kwargs)

    def get(self, project: str) -> dict[str, Any]:
        """GET /plans/projects/{project}: the plan as you may read it."""
        return dict(self._call("GET", f"/projects/{_q(project)}"))

    def agenda(self, *, today: str | None = None, horizon: int = 14) -> dict[str, Any]:
        """GET /plans/agenda: your overdue and upcoming items (``today`` as YYYY-MM-DD)."""
        params: dict[str, Any] = {"horizon": horizon}
        if today:
            params["today"] = today
        return dict(self._call("GET", "/agenda", params=params))

    def add_work_package(
        self,
        project: str,
        *,
        title: str,
        label: str,
        lead_organisation: str,
        starts_on: str,
        ends_on: str,
        efforts: dict[str, str],
        exceed_agreement: bool = False,
    ) -> dict[str, Any]:
        """POST /plans/projects/{project}/work-packages."""
        body = {
            "title": title,
            "label": label,
            "lead_organisation": lead_organisation,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "efforts": efforts,
            "exceed_agreement": exceed_agreement,
        }
        return dict(self._call("POST", f"/projects/{_q(project)}/work-packages", json=body))

    def add_task(
        self,
        work_package: str,
        *,
        title: str,
        label: str,
        due_on: str,
        assignee: str | None = None,
    ) -> dict[str, Any]:
        """POST /plans/work-packages/{id}/tasks."""
        body = {"title": title, "label": label, "due_on": due_on, "assignee": assignee}
        return dict(self._call("POST", f"/work-packages/{_q(work_package)}/tasks", json=body))

    def add_milestone(
        self, work_package: str, *, title: str, label: str, due_on: str
    ) -> dict[str, Any]:
        """POST /plans/work-packages/{id}/milestones."""
        body = {"title": title, "label": label, "due_on": due_on}
        return dict(self._call("POST", f"/work-packages/{_q(work_package)}/milestones", json=body))

    def add_deliverable(
        self, work_package: str, *, title: str, label: str, due_on: str
    ) -> dict[str, Any]:
        """POST /plans/work-packages/{id}/deliverables."""
        body = {"title": title, "label": label, "due_on": due_on}
        return dict(
            self._call("POST", f"/work-packages/{_q(work_package)}/deliverables", json=body)
        )

    def move_task(self, task: str, verb: str) -> dict[str, Any]:
        """POST /plans/tasks/{id}/moves: start, pause, finish or cancel."""
        return dict(self._call("POST", f"/tasks/{_q(task)}/moves", json={"verb": verb}))

    def achieve(self, milestone: str, *, on: str | None = None) -> dict[str, Any]:
        """POST /plans/milestones/{id}/achieved."""
        return dict(self._call("POST", f"/milestones/{_q(milestone)}/achieved", json={"on": on}))

    def deliver(self, deliverable: str, *, artifact: str) -> dict[str, Any]:
        """POST /plans/deliverables/{id}/delivery: by an artifact you may read."""
        return dict(
            self._call(
                "POST", f"/deliverables/{_q(deliverable)}/delivery", json={"artifact": artifact}
            )
        )
