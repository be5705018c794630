"""Project plans: work packages, tasks, milestones and deliverables (issue 21, ADR 0027).

Every plan item carries its own label; each reader reads only what the policy's
``decide()`` lets them read, and what they may not read looks exactly like what does not
exist. The project's lead or a security officer who is a member edits the plan; each
partner's share of the planned work is checked against the programme's agreed share.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.plans._reminders import PlanReminders
from caveat.services.plans._service import PlanService
from caveat.services.plans._views import (
    Agenda,
    AgendaItem,
    Deliverable,
    Effort,
    Milestone,
    Plan,
    Share,
    Task,
    WorkPackage,
)

__all__ = [
    "Agenda",
    "AgendaItem",
    "Deliverable",
    "Effort",
    "Milestone",
    "Plan",
    "PlanReminders",
    "PlanService",
    "Share",
    "Task",
    "WorkPackage",
]
