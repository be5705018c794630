"""Who may change what: composable rules and the one permission table (ADR 0011)."""

from caveat.domain.permissions.rules import Actor, Code, Failure, Rule, Target
from caveat.domain.permissions.table import PERMISSIONS, STEP_UP_WINDOW_S, Act, Permission, Scope

__all__ = [
    "PERMISSIONS",
    "STEP_UP_WINDOW_S",
    "Act",
    "Actor",
    "Code",
    "Failure",
    "Permission",
    "Rule",
    "Scope",
    "Target",
]
