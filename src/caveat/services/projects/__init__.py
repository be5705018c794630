"""Projects and their memberships (need-to-know).

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.projects._service import (
    Member,
    Project,
    ProjectService,
    create_project_in,
    find_project,
    project_leads,
    project_view,
)

__all__ = [
    "Member",
    "Project",
    "ProjectService",
    "create_project_in",
    "find_project",
    "project_leads",
    "project_view",
]
