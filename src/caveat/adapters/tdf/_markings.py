"""Caveat's label and export classification as assertions of a package, and reading
them back from an opened one.

The label is a ``handling`` assertion on the ``payload``, applying to its ``encrypted``
state, with a ``json-structured`` statement shaped like the spec's own example of a
STANAG 4774 confidentiality label (spec ``schema/OpenTDF/manifest.md``: ``Xmlns``,
``CreationTime``, ``ConfidentialityInformation`` with ``PolicyIdentifier``,
``Classification`` and ``Category``) plus ``CaveatLabel``, the label's
``caveat.label/1`` object, which is authoritative. The export classification is a second
assertion of the same kind. Both are bound to the payload (STANAG 4778's purpose) by the
releasing node's signature. Reading parses the authoritative forms, checks them as any
label from outside is checked, and requires the readable forms to be exactly what they
render to, so the two can never say different things.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from caveat.adapters.tdf._assertions import Assertion, Statement
from caveat.adapters.tdf._encoding import canonical_json
from caveat.adapters.tdf._errors import TdfLabelInvalid
from caveat.adapters.tdf._package import Opened, Sealed
from caveat.domain.errors import CaveatError
from caveat.domain.export_control import (
    ExportClassification,
    export_from_canonical_json,
    export_to_canonical_json,
    render_control_entry,
)
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import (
    Label,
    SchemeRegistry,
    builtin_schemes,
    label_from_canonical_json,
    label_to_json_object,
)

LABEL_ASSERTION_ID = "caveat-label"
EXPORT_ASSERTION_ID = "caveat-export"
STANAG_4774_SCHEMA = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
EXPORT_SCHEMA = "urn:caveat:export-classification:1"


@dataclass(frozen=True, slots=True)
class Markings:
    """The label and export classification a package carries, and the key that signed
    them (None when they are bound with the payload key)."""

    label: Label
    export: ExportClassification
    signer: Ed25519PublicKey | None


def _confidentiality(label: Label, registry: SchemeRegistry) -> dict[str, Any]:
    info: dict[str, Any] = {
        "PolicyIdentifier": label.policy,
        "Classification": registry.get(label.policy).level(label.classification).name,
        "Category": [
            {"Type": c.type.value, "TagName": c.tag, "GenericValues": sorted(c.values)}
            for c in label.categories
        ],
    }
    if label.privacy_mark is not None:
        info["PrivacyMark"] = label.privacy_mark
    return info


def label_assertion(label: Label, *, schemes: SchemeRegistry | None = None) -> Assertion:
    """The STANAG 4774-shaped assertion of ``label``."""
    canonical = label_to_json_object(label)
    value: dict[str, Any] = {
        "Xmlns": STANAG_4774_SCHEMA,
        "ConfidentialityInformation": _confidentiality(label, schemes or builtin_schemes()),
        "CaveatLabel": canonical,
    }
    if canonical["created"] is not None:
        value["CreationTime"] = canonical["created"]
    return Assertion(
        id=LABEL_ASSERTION_ID,
        type="handling",
        scope="payload",
        applies_to_state="encrypted",
        statement=Statement(format="json-structured", schema=STANAG_4774_SCHEMA, value=value),
    )


def export_assertion(export: ExportClassification) -> Assertion:
    """The assertion of ``export``: each control entry (regime, jurisdiction, code, and
    its ``REGIME:CODE`` text), the dual-use flag and the ``caveat.export/1`` object."""
    value = {
        "ControlEntries": [
            {
                "Regime": e.regime.value,
                "Jurisdiction": e.jurisdiction,
                "Code": e.code,
                "Entry": render_control_entry(e),
            }
            for e in export.entries
        ],
        "DualUse": export.dual_use,
        "CaveatExport": json.loads(export_to_canonical_json(export)),
    }
    return Assertion(
        id=EXPORT_ASSERTION_ID,
        type="handling",
        scope="payload",
        applies_to_state="encrypted",
        statement=Statement(format="json-structured", schema=EXPORT_SCHEMA, value=value),
    )


def caveat_assertions(
    label: Label, export: ExportClassification, *, schemes: SchemeRegistry | None = None
) -> list[Assertion]:
    """The two assertions a release carries: its label, then its export classification."""
    return [label_assertion(label, schemes=schemes), export_assertion(export)]


def _carried(opened: Opened | Sealed, assertion_id: str, name: str) -> tuple[Assertion, Any]:
    found = opened.assertion(assertion_id)
    if found is None:
        raise TdfLabelInvalid(f"the package carries no {assertion_id!r} assertion")
    value = found.assertion.statement.value
    if not isinstance(value, dict) or not isinstance(value.get(name), dict):
        raise TdfLabelInvalid(f"the {assertion_id!r} assertion has no {name} object")
    return found.assertion, value[name]


def read_markings(
    opened: Opened | Sealed,
    *,
    schemes: SchemeRegistry | None = None,
    groups: GroupDirectory | None = None,
) -> Markings:
    """The label and export classification of a verified package. Raises
    TdfLabelInvalid when either is missing, does not parse or break a marking rule, or
    its readable form is not exactly what its canonical form renders to."""
    registry = schemes or builtin_schemes()
    label_carried, label_raw = _carried(opened, LABEL_ASSERTION_ID, "CaveatLabel")
    export_carried, export_raw = _carried(opened, EXPORT_ASSERTION_ID, "CaveatExport")
    try:
        label = label_from_canonical_json(
            canonical_json(label_raw), schemes=registry, groups=groups
        )
        export = export_from_canonical_json(canonical_json(export_raw))
        expected = (label_assertion(label, schemes=registry), export_assertion(export))
    except CaveatError as exc:
        raise TdfLabelInvalid(
            f"the package's markings are not valid: {exc.detail}", data={"cause": exc.code}
        ) from exc
    if expected != (label_carried, export_carried):
        raise TdfLabelInvalid("the markings' readable forms disagree with their canonical forms")
    signer = opened.assertion(LABEL_ASSERTION_ID)
    return Markings(label, export, None if signer is None else signer.signer)
