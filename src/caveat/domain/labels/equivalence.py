"""A label's equivalent under another scheme, computed and never written back.

Equivalence goes through the common scale: the receiving scheme's level for the
originator level's common step, or that scheme's stated rule for a missing step
(treat as a higher level, or deny with NoEquivalentLevel).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from caveat.domain.labels.model import Label
from caveat.domain.labels.schemes import SchemeRegistry, builtin_schemes


def common_level(label: Label, *, schemes: SchemeRegistry | None = None) -> int:
    """The common-scale step (0 unclassified .. 4 top secret) of ``label``."""
    return (schemes or builtin_schemes()).common(label.policy, label.classification)


def equivalent(label: Label, target: str, *, schemes: SchemeRegistry | None = None) -> Label:
    """``label`` as scheme ``target`` would protect it; categories and provenance unchanged."""
    registry = schemes or builtin_schemes()
    if target == label.policy:
        return label.without_alternatives()
    level = registry.equivalent(label.policy, label.classification, target)
    return replace(label, policy=target, classification=level.ordinal, alternatives=())


def with_alternatives(
    label: Label, targets: Iterable[str], *, schemes: SchemeRegistry | None = None
) -> Label:
    """``label`` carrying its equivalents under ``targets`` as alternative labels."""
    registry = schemes or builtin_schemes()
    existing = {a.policy: a for a in label.alternatives}
    for target in targets:
        if target != label.policy:
            existing[target] = equivalent(label.without_alternatives(), target, schemes=registry)
    return replace(label, alternatives=tuple(existing.values()))
