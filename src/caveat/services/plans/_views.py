"""What the plan service hands out: plain frozen records, nothing of the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from caveat.domain.labels import Label


@dataclass(frozen=True, slots=True)
class Task:
    """A task the reader may read."""

    id: str
    work_package_id: str
    title: str
    label: Label
    marking: str
    assignee: str | None  # username
    due_on: date
    status: str
    moves: tuple[str, ...]  # the verbs its status allows


@dataclass(frozen=True, slots=True)
class Milestone:
    """A milestone the reader may read."""

    id: str
    work_package_id: str
    title: str
    label: Label
    marking: str
    due_on: date
    achieved_on: date | None


@dataclass(frozen=True, slots=True)
class Deliverable:
    """A deliverable the reader may read. Its artifact is named only to a reader who may
    read the artifact; to anyone else a delivered deliverable's artifact is ``restricted``."""

    id: str
    work_package_id: str
    title: str
    label: Label
    marking: str
    due_on: date
    status: str
    delivered_on: date | None
    artifact_id: str | None
    artifact_title: str | None
    artifact_restricted: bool


@dataclass(frozen=True, slots=True)
class Effort:
    """A partner's planned effort in a work package."""

    organisation_id: str
    organisation: str
    person_months: str
    share_bp: int


@dataclass(frozen=True, slots=True)
class WorkPackage:
    """A work package the reader may read, with the tasks, milestones and deliverables
    of it that the reader may read."""

    id: str
    project_id: str
    number: int
    title: str
    label: Label
    marking: str
    lead_organisation: str
    starts_on: date
    ends_on: date
    efforts: tuple[Effort, ...]
    exceeds_agreement: bool
    tasks: tuple[Task, ...]
    milestones: tuple[Milestone, ...]
    deliverables: tuple[Deliverable, ...]


@dataclass(frozen=True, slots=True)
class Share:
    """A partner's share of the work packages the reader sees, beside the share the
    programme's agreement gives it (None: no agreed share recorded)."""

    organisation_id: str
    organisation: str
    person_months: str
    share_bp: int
    agreed_bp: int | None

    @property
    def over(self) -> bool:
        """Whether the plan gives the partner more than its agreed share."""
        return self.agreed_bp is not None and self.share_bp > self.agreed_bp


@dataclass(frozen=True, slots=True)
class Plan:
    """A project's plan as one reader sees it."""

    project_id: str
    project: str
    programme: str | None
    work_packages: tuple[WorkPackage, ...]
    shares: tuple[Share, ...]
    may_edit: bool

    def labels(self) -> list[Label]:
        """The labels of everything the plan shows (for the page's marking)."""
        found: list[Label] = []
        for w in self.work_packages:
            found.append(w.label)
            found.extend(t.label for t in w.tasks)
            found.extend(m.label for m in w.milestones)
            found.extend(d.label for d in w.deliverables)
        return found


@dataclass(frozen=True, slots=True)
class AgendaItem:
    """A task, milestone or deliverable due soon or overdue, for the reader's work queue."""

    kind: str  # task | milestone | deliverable
    id: str
    project_id: str
    project: str
    work_package: int
    title: str
    label: Label
    marking: str
    due_on: date
    due: str  # overdue | upcoming


@dataclass(frozen=True, slots=True)
class Agenda:
    """What is overdue and what is due in the next days, as of ``today``."""

    today: date
    overdue: tuple[AgendaItem, ...]
    upcoming: tuple[AgendaItem, ...]
