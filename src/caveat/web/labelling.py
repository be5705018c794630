"""Labels as pages show them: parsed from canonical JSON, portion marks, the viewer's form.

Pages list the labels of what they display in ``PageContext.labels`` so the banner is
their roll-up; these helpers turn stored label JSON into ``Label`` values and render
portion marks and national equivalents without ever failing a page over a label that
a scheme cannot express (the originator's form is always available).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import rfc8785

from caveat.bootstrap.marking import event_labels
from caveat.domain.errors import InvalidInput
from caveat.domain.labels import (
    Label,
    MarkingError,
    common_level,
    label_from_canonical_json,
    normalise,
    parse_marking,
    render_banner,
    render_portion,
)
from caveat.services.kernel.principal import Principal
from caveat.services.policy import PolicyService

LEVEL_STYLE = {0: "unclassified", 1: "restricted", 2: "confidential", 3: "secret", 4: "top-secret"}


def label_of(canonical: str | Mapping[str, Any] | None) -> Label | None:
    """A label from its canonical JSON text or object; None when absent or unreadable."""
    if canonical is None or canonical == "":
        return None
    try:
        data = (
            canonical.encode()
            if isinstance(canonical, str)
            else bytes(rfc8785.dumps(dict(canonical)))
        )
        return label_from_canonical_json(data)
    except (InvalidInput, ValueError, TypeError):
        return None


def portion(label: Label | None) -> str:
    """The portion mark, such as ``(S//REL TO USA, GBR)``; ``(U)`` style fallbacks never fail."""
    if label is None:
        return "(UNLABELLED)"
    try:
        return render_portion(label)
    except InvalidInput:
        return "(" + str(label.classification) + ")"


def style(label: Label | None) -> str:
    """The banner colour class of a label's common level."""
    return LEVEL_STYLE[0 if label is None else common_level(label)]


def labels_in(values: Iterable[Mapping[str, Any]]) -> list[Label | None]:
    """Labels named in event data (``label`` holds canonical JSON): what a page shows;
    ``None`` for one that cannot be read (the banner then fails closed)."""
    found: list[Label | None] = []
    for data in values:
        found.extend(event_labels(data))
    return found


@dataclass(frozen=True, slots=True)
class LabelCheck:
    """What the label builder shows as the person types."""

    text: str
    ok: bool
    normalised: str = ""
    portion: str = ""
    style: str = "unclassified"
    national: str | None = None
    error: str = ""
    hint: str | None = None
    position: int | None = None
    caret: str = ""  # the marking as read, a caret under the fault (MarkingError.caret)


def check_label(policy: PolicyService, principal: Principal, text: str, on: date) -> LabelCheck:
    """Normalise ``text`` and render it; a parse error carries its position."""
    env = policy.environment()
    if not text.strip():
        return LabelCheck(text, False, error="every artifact needs a security label")
    try:
        if text.strip().startswith("{"):
            label = label_from_canonical_json(text.strip().encode(), schemes=policy.schemes)
            fixed = render_banner(label, schemes=policy.schemes)
        else:
            fixed = normalise(text, env.groups, on, schemes=policy.schemes)
            label = parse_marking(fixed, groups=env.groups, on=on, schemes=policy.schemes)
    except MarkingError as exc:
        return LabelCheck(
            text, False, error=exc.detail, hint=exc.hint, position=exc.position, caret=exc.caret()
        )
    except (InvalidInput, json.JSONDecodeError) as exc:
        detail = exc.detail if isinstance(exc, InvalidInput) else str(exc)
        return LabelCheck(text, False, error=detail)
    return LabelCheck(
        text,
        True,
        normalised=fixed,
        portion=portion(label),
        style=style(label),
        national=policy.banner_in(label, policy.viewer_scheme(principal)),
    )


def normalised_text(policy: PolicyService, text: str, on: date) -> str:
    """The corrected form of a typed marking (what the builder showed); as typed if wrong."""
    if not text.strip() or text.strip().startswith("{"):
        return text
    try:
        return normalise(text, policy.environment().groups, on, schemes=policy.schemes)
    except InvalidInput:
        return text  # the artifact service reports the error with its position
