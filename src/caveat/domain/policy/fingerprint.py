"""What makes two subjects' decisions on a set of resources the same: a fingerprint.

Many people reading one stream of labelled items (a live channel's subscribers) mostly
share their decision-relevant facts: the same clearance, nationalities, agreements and
freshness of MFA. Their decisions on an item are then the same, so one decision can be
remembered per fingerprint rather than per person (``services/channels``).

The fingerprint is built from every field of ``SubjectFacts``, walked with
``dataclasses.fields``: a field added to the facts is in the fingerprint whole without
anyone remembering to add it (``tests/domain/policy/test_fingerprint.py`` checks that a
change to any field changes the fingerprint). Four fields are narrowed to what the
decisions in question can read of them, each exactly:

- ``projects``: to the projects of the resources decided (need-to-know tests only the
  resource's own project);
- ``access_grants`` and ``originator_grants``: to the resource ids the decisions can
  name (need-to-know and caveats test only the resource's own id);
- ``mfa_age``: to whether the credential carries an MFA proof at all; what the age
  decides is its freshness class, ``mfa_levels``, which is in whole (``decide()`` reads
  the age only to word the explanation).

Beside the facts, ``decide()`` reads two fields of the subject itself (its organisation
and that organisation's nation: domestic agreements, originator control) and the policy
settings (``env.config``: MFA limits, the dual-national rule); both are in the
fingerprint. The subject's id is read only to name the decision.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields
from typing import Any

from caveat.domain.policy.config import PolicyConfig
from caveat.domain.policy.facts import SubjectFacts
from caveat.domain.policy.model import Subject

# The fields of the subject that decide() reads beside its facts (its id names the
# decision only). tests/domain/policy/test_fingerprint.py records what decide() reads.
SUBJECT_FIELDS = ("organisation_id", "organisation_nation")


@dataclass(frozen=True, slots=True)
class Scope:
    """The resources a fingerprint is for: their projects and how their ids begin."""

    projects: frozenset[str]
    id_prefix: str


def _grants(value: Any, scope: Scope) -> Hashable:
    return frozenset(g for g in value if g.startswith(scope.id_prefix))


# Narrowed fields: each maps the field's value to exactly what decisions on resources
# of ``scope`` can read of it.
NARROWED: dict[str, Callable[[Any, Scope], Hashable]] = {
    "projects": lambda value, scope: frozenset(value & scope.projects),
    "access_grants": _grants,
    "originator_grants": _grants,
    "mfa_age": lambda value, scope: value is None,
}


def _hashable(value: Any) -> Hashable:
    if isinstance(value, dict):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, set):
        return frozenset(_hashable(v) for v in value)
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value  # type: ignore[no-any-return]


def decision_fingerprint(
    subject: Subject, facts: SubjectFacts, config: PolicyConfig, scope: Scope
) -> Hashable:
    """A value equal for two subjects exactly when ``decide()`` answers every action on
    every resource of ``scope`` alike for both (the permit; the explanation's wording
    may differ)."""
    parts: list[Hashable] = []
    for f in fields(SubjectFacts):
        value = getattr(facts, f.name)
        narrow = NARROWED.get(f.name)
        parts.append((f.name, _hashable(value) if narrow is None else narrow(value, scope)))
    parts.append(("subject", tuple(getattr(subject, name) for name in SUBJECT_FIELDS)))
    parts.append(("config", config))
    parts.append(("scope", scope))
    return tuple(parts)
