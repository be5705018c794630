"""Labels as pages show them: parsed from canonical JSON, portion marks, the viewer's form.

Pages list the labels of what they display in ``PageContext.labels`` so the banner is
their roll-up; these helpers turn stored label JSON into ``Label`` values and render
portion marks and national equivalents without ever failing a page over a label that
a scheme cannot express (the originator's form is always available).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import rfc8785

from caveat.bootstrap.marking import event_labels
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.labels import (
    Label,
    MarkingError,
    aggregate_marking,
    common_level,
    label_from_canonical_json,
    normalise,
    parse_marking,
    render_banner,
    render_portion,
)
from caveat.services.artifacts import ArtifactService
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
    note: str = ""  # how an ambiguous word was read (SECRET from a British writer)
    unreadable: tuple[str, ...] = ()  # what the author lacks to read content so labelled

    @property
    def readable(self) -> bool:
        return self.ok and not self.unreadable


def writer_scheme(policy: PolicyService, principal: Principal) -> str | None:
    """The scheme whose words the person writes in: their organisation nation's."""
    return policy.viewer_scheme(principal)


def _reading_note(policy: PolicyService, text: str, writer: str | None) -> str:
    """Where a bare level word is also the writer's own (SECRET for a British writer),
    say that it reads as the US level, as CAPCO has it, and how to write theirs."""
    head = text.strip().upper().split("//", 1)[0]
    if writer is None or writer == "USA" or text.strip().startswith(("(", "//")):
        return ""
    scheme = policy.schemes.get(writer)
    for level in scheme.levels:
        if level.name.upper() == head and head in {
            lv.banner for lv in policy.schemes.get("USA").levels
        }:
            return (
                f"{head} written alone is the US level. For the {writer} level write "
                f"//{level.banner}, or choose it in the builder."
            )
    return ""


def _national(policy: PolicyService, label: Label, writer: str | None, on: date) -> str | None:
    """The banner the viewer's own pages would give content so labelled: their scheme's
    words, and the originator's level where theirs only stands in for it."""
    if writer is None:
        return policy.banner_in(label, writer)
    marking = aggregate_marking(
        [label], scheme=writer, groups=policy.environment().groups, on=on, schemes=policy.schemes
    )
    return marking.line if marking.complete else None


def check_label(policy: PolicyService, principal: Principal, text: str, on: date) -> LabelCheck:
    """Normalise ``text`` and render it; a parse error carries its position."""
    env = policy.environment()
    writer = writer_scheme(policy, principal)
    if not text.strip():
        return LabelCheck(text, False, error="every artifact needs a security label")
    try:
        if text.strip().startswith("{"):
            label = label_from_canonical_json(text.strip().encode(), schemes=policy.schemes)
            fixed = render_banner(label, schemes=policy.schemes)
        else:
            fixed = normalise(text, env.groups, on, schemes=policy.schemes, writer=writer)
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
        national=_national(policy, label, writer, on),
        note=_reading_note(policy, text, writer),
    )


def normalised_text(
    policy: PolicyService, text: str, on: date, principal: Principal | None = None
) -> str:
    """The corrected form of a typed marking (what the builder showed); as typed if wrong.
    With ``principal``, a level in their own national words reads as their scheme's."""
    if not text.strip() or text.strip().startswith("{"):
        return text
    writer = None if principal is None else writer_scheme(policy, principal)
    try:
        return normalise(
            text, policy.environment().groups, on, schemes=policy.schemes, writer=writer
        )
    except InvalidInput:
        return text  # the artifact service reports the error with its position


def with_readability(
    check: LabelCheck,
    artifacts: ArtifactService,
    principal: Principal,
    *,
    controls: Sequence[str] = (),
    dual_use: bool = False,
    project: str | None = None,
    artifact_id: str | None = None,
) -> LabelCheck:
    """``check`` with what its author would lack to read content so labelled (the
    upload's own "nobody labels above what they may read", asked before the file is
    sent). A control entry the upload would refuse is said in the note."""
    if not check.ok:
        return check
    try:
        found = artifacts.precheck_label(
            principal,
            label=check.normalised,
            controls=controls,
            dual_use=dual_use,
            project=project or None,
            artifact_id=artifact_id or None,
        )
    except CaveatError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        return replace(check, note=f"{exc.detail}{hint}")
    if found.readable:
        return check
    return replace(check, unreadable=found.failed or ("you may not read it",))
