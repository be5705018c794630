"""Encode a population as Cedar entities and requests, sharing no code with decide().

The requirement logic lives only in ``cedar/caveat.cedar``. This encoder computes
what Cedar cannot express, from raw inputs only and written apart from
``caveat.domain.policy`` (issue 13; an earlier encoder read the engine's own label
facts and in-memory ports, so bugs there passed both sides):

- levels, scheme nations and equivalence tables straight from the scheme JSON files;
- group membership on the day straight from ``groups.json``;
- releasability, originator control and held caveats from the label's categories as
  the DOMAIN notes and ADR 0006 state them;
- agreements, authorizations, embargoes, holds and grants in force from the
  population's raw dated records, with the dates compared here;
- clearance validity by its expiry date here (the expiry day still counts).

Only data types are imported from the engine's packages (Subject, Resource, Label
fields, the dated records); none of their methods is called.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import cedarpy

from caveat.domain.policy import Action, GrantKind, Resource, Subject
from tests.policy.population import NOW, TODAY, Population

HERE = Path(__file__).with_name("cedar")
MAX_AGREEMENTS = 6
MAX_CONTROLS = 3


@cache
def policy_set() -> cedarpy.PolicySet:
    return cedarpy.PolicySet.from_str((HERE / "caveat.cedar").read_text())


@cache
def schema_text() -> str:
    return (HERE / "caveat.cedarschema").read_text()


@cache
def _tables() -> dict[str, list[int]]:
    """For each nation with a scheme: the common level its table uses for steps 0-4."""
    out: dict[str, list[int]] = {}
    for entry in resources.files("caveat.data.schemes").iterdir():
        if not entry.name.endswith(".json"):
            continue
        raw = json.loads(entry.read_text(encoding="utf-8"))
        if raw.get("nation") is None:
            continue
        by_common = {lv["common"]: lv["common"] for lv in raw["levels"]}
        ids = {lv["id"]: lv["common"] for lv in raw["levels"]}
        for rule in raw["no_equivalent"]:
            by_common[rule["common"]] = ids[rule["level"]] if rule["rule"] == "treat_as" else 99
        out[raw["nation"]] = [by_common[c] for c in range(5)]
    return out


# ADR 0006: these dissemination controls make a resource originator-controlled (its
# organisation, or a person it granted, may read); the rest of DISSEM and every other
# restrictive category must be held by the reader, except the release markings.
ORIGINATOR_CONTROLLED = {"ORCON", "IMCON", "PROPIN"}
NOT_HELD = {"NOFORN", "RELIDO", "FOUO"} | ORIGINATOR_CONTROLLED


def _live(expiry: datetime | None) -> bool:
    return expiry is None or expiry > NOW


def _dated(valid_from: date | None, valid_to: date | None) -> bool:
    # Validity dates are inclusive at both ends.
    return (valid_from is None or valid_from <= TODAY) and (valid_to is None or valid_to >= TODAY)


@cache
def _schemes() -> dict[str, dict[str, Any]]:
    out = {}
    for entry in resources.files("caveat.data.schemes").iterdir():
        if entry.name.endswith(".json"):
            raw = json.loads(entry.read_text(encoding="utf-8"))
            out[raw["scheme"]] = raw
    return out


@cache
def _group_members() -> dict[str, list[tuple[str, date | None, date | None]]]:
    raw = json.loads(resources.files("caveat.data").joinpath("groups.json").read_text("utf-8"))
    return {
        g["code"]: [
            (
                m["nation"],
                date.fromisoformat(m["from"]) if m["from"] else None,
                date.fromisoformat(m["to"]) if m["to"] else None,
            )
            for m in g["members"]
        ]
        for g in raw["groups"]
    }


def _expand(codes: set[str]) -> set[str]:
    """Nations named by ``codes`` (nations and group codes) on the day."""
    groups = _group_members()
    out = set()
    for code in codes:
        if code in groups:
            out |= {n for n, start, end in groups[code] if _dated(start, end)}
        else:
            out.add(code)
    return out


def user_entity(s: Subject, population: Population) -> dict[str, Any]:
    c = s.clearance
    expired = c is not None and c.expires < TODAY
    cleared = {0}
    if c is not None and not expired:
        table = _tables().get(c.granting_nation, [0, 1, 2, 3, 4])
        cleared |= {step for step in range(1, 5) if table[step] <= int(c.level)}
    everyone = set(s.citizenships) | set(s.residencies)
    jurisdictions = set(everyone)
    if everyone & _expand({"EU"}):
        jurisdictions.add("EU")
    agreements = [
        a.terms
        for a in population.agreements
        if _dated(a.valid_from, a.valid_to)
        and (s.organisation_id in a.organisations or s.organisation_nation in a.nations)
    ]
    assert len(agreements) <= MAX_AGREEMENTS, "the Cedar policy has six agreement slots"
    authorized = {
        e
        for a in population.authorizations
        if _dated(a.valid_from, a.valid_to)
        and (s.id in a.people or s.organisation_id in a.organisations or everyone & a.nations)
        for e in a.terms.entries
    }
    held_parties = {party for party, _ in population.holds}
    attrs: dict[str, Any] = {
        "active": s.active,
        "mfaEnrolled": s.mfa_enrolled,
        "hasClearance": c is not None,
        "clearanceExpired": expired,
        "clearanceNation": c.granting_nation if c else "",
        "clearedLevels": sorted(cleared),
        "nationalities": sorted(s.citizenships),
        "jurisdictions": sorted(jurisdictions),
        "organisation": s.organisation_id,
        "orgNation": s.organisation_nation,
        "projects": sorted(p for p, e in s.memberships.items() if _live(e)),
        "accessGrants": sorted(
            r for (r, k), e in s.grants.items() if k is GrantKind.ACCESS and _live(e)
        ),
        "originatorGrants": sorted(
            r for (r, k), e in s.grants.items() if k is GrantKind.ORIGINATOR and _live(e)
        ),
        "holdings": sorted(h for h, e in s.caveats.items() if _live(e)),
        "authorized": sorted(authorized),
        "screeningHeld": s.id in held_parties or s.organisation_id in held_parties,
        "embargoedBy": sorted(
            {
                e.terms.imposed_by
                for e in population.embargoes
                if _dated(e.valid_from, e.valid_to) and e.terms.nation in everyone
            }
        ),
    }
    for i, a in enumerate(agreements):
        attrs[f"agreement{i}"] = {
            "projects": sorted(a.projects),
            "maxLevel": a.max_common_level,
            "anyScope": a.controls is None,
            "scope": sorted(a.controls or ()),
        }
    return {"uid": {"type": "User", "id": s.id}, "attrs": attrs, "parents": []}


def _label_attrs(r: Resource) -> dict[str, Any]:
    """Level, release and caveats from the label's raw fields and the scheme files."""
    label = r.label
    if label is None:
        return {
            "labelled": False,
            "commonLevel": 0,
            "relMode": "open",
            "releasableNations": [],
            "originatorNation": "",
            "originatorControlled": False,
            "heldCaveats": [],
        }
    scheme = _schemes()[label.policy]
    level = next(lv for lv in scheme["levels"] if lv["ordinal"] == label.classification)
    common = level["common"]
    origin = (label.originator.nation if label.originator else None) or scheme["nation"] or ""
    values: dict[str, set[str]] = {}
    restrictive: list[tuple[str, str]] = []
    for category in label.categories:
        values.setdefault(category.tag, set()).update(category.values)
        if category.type.value == "RESTRICTIVE" and category.tag != "REL TO":
            restrictive += [(category.tag, v) for v in category.values]
    dissem = values.get("DISSEM", set())
    releasable: set[str] = set()
    if "NOFORN" in dissem:
        mode = "noforn"
    elif "REL TO" in values:
        mode = "list"
        releasable = _expand(values["REL TO"]) | ({origin} if origin else set())
    elif common == 0:
        mode = "open"
    else:
        mode = "originator"  # classified, never released: the originator's nationals
    return {
        "labelled": True,
        "commonLevel": common,
        "relMode": mode,
        "releasableNations": sorted(releasable),
        "originatorNation": origin,
        "originatorControlled": bool(dissem & ORIGINATOR_CONTROLLED),
        "heldCaveats": sorted(
            f"{tag}:{v}" for tag, v in restrictive if not (tag == "DISSEM" and v in NOT_HELD)
        ),
    }


def resource_entity(r: Resource) -> dict[str, Any]:
    attrs = _label_attrs(r)
    origin = attrs["originatorNation"]
    controls = []
    for entry in r.export.entries:
        # A multilateral list (jurisdiction "*") is enforced by the exporting state.
        jurisdiction = entry.jurisdiction if entry.jurisdiction != "*" else (origin or "*")
        text = f"{entry.regime}:" + (f"USML-{entry.code}" if entry.regime == "ITAR" else entry.code)
        exempt = entry.regime == "EAR" and entry.code == "EAR99"
        controls.append({"entry": text, "jurisdiction": jurisdiction, "exempt": exempt})
    assert len(controls) <= MAX_CONTROLS
    attrs |= {
        "rid": r.id,
        "originatorOrg": r.originator_org_id or "",
        "project": r.project_id,
        "controls": sorted(c["entry"] for c in controls),
        "controlJurisdictions": sorted({c["jurisdiction"] for c in controls}),
    }
    for i, c in enumerate(controls):
        attrs[f"control{i}"] = c
    return {"uid": {"type": "Resource", "id": r.id}, "attrs": attrs, "parents": []}


# ADR 0006, requirement 10: no limit / 12 h / 8 h / 1 h / 15 min for levels 0-4.
MFA_LIMITS = (None, 12 * 3600, 8 * 3600, 3600, 15 * 60)


def context_of(mfa_at: datetime | None, population: Population) -> dict[str, Any]:
    dual = population.dual
    ctx: dict[str, Any] = {
        "mfaAge": -1 if mfa_at is None else max(0, int((NOW - mfa_at).total_seconds())),
        "dualRule": dual is not None,
        "dualMax": dual.max_common_level if dual else 0,
        "dualOrgsAny": dual is None or dual.organisations is None,
        "dualOrgs": sorted(dual.organisations or ()) if dual else [],
    }
    for level, limit in enumerate(MFA_LIMITS):
        ctx[f"mfaLimit{level}"] = -1 if limit is None else limit
    return ctx


def entities_of(population: Population) -> cedarpy.Entities:
    items = [user_entity(s, population) for s in population.subjects]
    items += [resource_entity(r) for r in population.resources]
    return cedarpy.Entities.from_json_str(json.dumps(items), schema=schema_text())


def request(s: Subject, action: Action, r: Resource, ctx: dict[str, Any]) -> dict[str, Any]:
    return {
        "principal": {"type": "User", "id": s.id},
        "action": {"type": "Action", "id": action.value},
        "resource": {"type": "Resource", "id": r.id},
        "context": ctx,
    }


def failed_codes(result: cedarpy.AuthzResult) -> set[str]:
    """The requirement codes of the forbids that fired (empty for an Allow)."""
    names = result.diagnostics.id_annotations_by_reason
    return {names[p] for p in result.diagnostics.reasons if names.get(p) != "base"}
