"""``authorize()``: the one place a service asks the permission table.

Services call it at the top of every method that changes state (and of officer-only
reads) with the facts of the target they loaded. It raises :class:`PermissionDenied`
with the failed rule named; it never returns a bool a caller could forget to check.
"""

from __future__ import annotations

from datetime import datetime

from caveat.domain.errors import PermissionDenied
from caveat.domain.permissions import PERMISSIONS, Act, Actor, Code, Target
from caveat.services.kernel.principal import Acting, ConsoleOperator

_WHY = {
    Code.SELF_CHANGE: "nobody changes the facts that decide their own access",
    Code.NOT_A_PARTY: "only a party to the agreement may change it",
    Code.NOT_ORIGINATOR: "marking is the originating organisation's decision",
    Code.STEP_UP_REQUIRED: "credentials change only with a fresh second factor",
    Code.NO_RULE: "no rule allows this action",
    Code.POLICY_DENIED: "you may not do this",
}
_HINT = {
    Code.STEP_UP_REQUIRED: "sign in (not with an API token) and prove your second factor again",
    Code.SELF_CHANGE: "ask another authorised person",
}

NO_TARGET = Target()


def actor_of(by: Acting, now: datetime | None) -> Actor:
    """The rules' view of who is acting (MFA age measured at ``now``)."""
    if isinstance(by, ConsoleOperator):
        return Actor(console=True)
    mfa_age = None
    if by.mfa_at is not None and now is not None:
        mfa_age = (now - by.mfa_at).total_seconds()
    return Actor(
        person_id=by.person_id,
        organisation_id=by.person.organisation_id,
        nation=by.person.organisation_nation,
        roles=by.roles,
        via_token=by.token_id is not None,
        mfa_age_s=mfa_age,
    )


def authorize(
    by: Acting, act: Act, target: Target = NO_TARGET, *, now: datetime | None = None
) -> None:
    """Raise PermissionDenied unless the table's rule for ``act`` holds for ``by`` on
    ``target`` and the credential carries the action's scope. ``now`` is needed by
    rules on second-factor freshness; without it they fail closed."""
    permission = PERMISSIONS.get(act)
    if permission is None:  # the table is total over Act; this guards a future edit
        raise PermissionDenied(f"{act.value}: no rule allows it", code=Code.NO_RULE.value)
    if not isinstance(by, ConsoleOperator):
        by.require_scope(permission.scope)
    failed = permission.rule.check(actor_of(by, now), target)
    if failed is None:
        return
    raise PermissionDenied(
        f"{failed.why or _WHY[failed.code]} ({act.value} needs: {failed.rule})",
        code=failed.code.value,
        hint=_HINT.get(failed.code),
        data={"action": act.value, "rule": failed.rule, "requires": permission.rule.describe()},
    )


def allowed(
    by: Acting, act: Act, target: Target = NO_TARGET, *, now: datetime | None = None
) -> bool:
    """Whether ``authorize`` would pass: for pages deciding which controls to offer,
    never as the check itself."""
    try:
        authorize(by, act, target, now=now)
    except PermissionDenied:
        return False
    return True
