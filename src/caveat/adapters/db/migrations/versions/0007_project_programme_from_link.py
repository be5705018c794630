"""a project's programme name follows its programme link

`projects.programme` was free text set at creation, so a project could name a programme
it does not belong to (or belong to one and name none). It is now a copy of the linked
programme's name, written with the link; this revision makes existing rows agree. Free
text that named no programme the project belongs to is dropped (the `project.created`
v1 event in the ledger still records what was typed); the downgrade cannot restore it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE projects SET programme = ("
        " SELECT programmes.name FROM programme_projects"
        " JOIN programmes ON programmes.id = programme_projects.programme_id"
        " WHERE programme_projects.project_id = projects.id)"
    )


def downgrade() -> None:
    """Nothing to undo: the names stay as the links say."""
