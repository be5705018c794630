"""Database tables (SQLAlchemy 2 typed ORM), one module per area. Tables only.

Every table module is imported here so that ``Base.metadata`` is complete for
migrations and schema comparisons.
"""

from caveat.adapters.db.models import (
    artifacts,
    channels,
    compliance,
    discussions,
    federation,
    ledger,
    notifications,
    plans,
    policy,
    proficiency,
    taxii,
)
from caveat.adapters.db.models.base import NAMING, Base, BigId
from caveat.adapters.db.models.core import (
    AddressThrottleRow,
    ApiTokenRow,
    EventRow,
    GroupMemberRow,
    GroupRow,
    LoginNameThrottleRow,
    NodeRow,
    OrganisationRow,
    PersonNationRow,
    PersonRoleRow,
    PersonRow,
    RecoveryCodeRow,
    SessionRow,
)

__all__ = [
    "NAMING",
    "AddressThrottleRow",
    "ApiTokenRow",
    "Base",
    "BigId",
    "EventRow",
    "GroupMemberRow",
    "GroupRow",
    "LoginNameThrottleRow",
    "NodeRow",
    "OrganisationRow",
    "PersonNationRow",
    "PersonRoleRow",
    "PersonRow",
    "RecoveryCodeRow",
    "SessionRow",
    "artifacts",
    "channels",
    "compliance",
    "discussions",
    "federation",
    "ledger",
    "notifications",
    "plans",
    "policy",
    "proficiency",
    "taxii",
]
