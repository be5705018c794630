"""Encode a population as Cedar entities and requests, independently of decide().

The encoding computes what Cedar cannot (group expansion on the day, the
equivalence tables read straight from the scheme JSON files, in-force filtering
of dated grants); the requirement logic itself lives only in caveat.cedar.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import cedarpy

from caveat.domain.policy import (
    Action,
    GrantKind,
    PolicyConfig,
    PolicyEnvironment,
    Resource,
    Subject,
)
from tests.policy.population import GROUPS, NOW, TODAY, Population

HERE = Path(__file__).with_name("cedar")
MAX_AGREEMENTS = 6
MAX_CONTROLS = 3


@cache
def policy_set() -> cedarpy.PolicySet:
    return cedarpy.PolicySet.from_str((HERE / "caveat.cedar").read_text())  # type: ignore[no-any-return]


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


def _live(expiry: datetime | None) -> bool:
    return expiry is None or expiry > NOW


def user_entity(s: Subject, env: PolicyEnvironment) -> dict[str, Any]:
    c = s.clearance
    expired = c is not None and c.expires < TODAY
    cleared = {0}
    if c is not None and not expired:
        table = _tables().get(c.granting_nation, [0, 1, 2, 3, 4])
        cleared |= {step for step in range(1, 5) if table[step] <= int(c.level)}
    everyone = s.citizenships | s.residencies
    jurisdictions = set(everyone)
    if everyone & GROUPS.members("EU", TODAY):
        jurisdictions.add("EU")
    agreements = env.agreements.in_force(
        organisation_id=s.organisation_id, nation=s.organisation_nation, on=TODAY
    )
    assert len(agreements) <= MAX_AGREEMENTS, "the Cedar policy has six agreement slots"
    authorized = {
        e
        for a in env.authorizations.in_force(
            person_id=s.id, organisation_id=s.organisation_id, nations=everyone, on=TODAY
        )
        for e in a.entries
    }
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
        "screeningHeld": bool(
            env.screening.holds(person_id=s.id, organisation_id=s.organisation_id)
        ),
        "embargoedBy": sorted(
            {e.imposed_by for e in env.embargoes.in_force(nations=everyone, on=TODAY)}
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


def resource_entity(r: Resource) -> dict[str, Any]:
    label = r.label
    origin = ""
    if label is not None:
        origin = label.originator.nation if label.originator else ""
        if not origin:
            from caveat.domain.labels import builtin_schemes

            origin = builtin_schemes().get(label.policy).nation or ""
    controls = []
    for entry in r.export.entries:
        jurisdiction = entry.jurisdiction if entry.jurisdiction != "*" else (origin or "*")
        text = f"{entry.regime}:" + (f"USML-{entry.code}" if entry.regime == "ITAR" else entry.code)
        controls.append(
            {"entry": text, "jurisdiction": jurisdiction, "exempt": entry.code == "EAR99"}
        )
    assert len(controls) <= MAX_CONTROLS
    facts = r.facts
    releasable: set[str] = set()
    if facts is not None and facts.rel_mode == "list":
        releasable = set(GROUPS.expand(facts.rel_codes, TODAY)) | ({origin} if origin else set())
    attrs: dict[str, Any] = {
        "rid": r.id,
        "labelled": label is not None,
        "commonLevel": facts.common_level if facts else 0,
        "relMode": facts.rel_mode if facts else "open",
        "releasableNations": sorted(releasable),
        "originatorNation": origin,
        "originatorOrg": r.originator_org_id or "",
        "originatorControlled": bool(facts and facts.originator_controlled),
        "heldCaveats": sorted(facts.held_caveats) if facts else [],
        "project": r.project_id,
        "controls": sorted(c["entry"] for c in controls),
        "controlJurisdictions": sorted({c["jurisdiction"] for c in controls}),
    }
    for i, c in enumerate(controls):
        attrs[f"control{i}"] = c
    return {"uid": {"type": "Resource", "id": r.id}, "attrs": attrs, "parents": []}


def context_of(mfa_at: datetime | None, config: PolicyConfig) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "mfaAge": -1 if mfa_at is None else max(0, int((NOW - mfa_at).total_seconds())),
        "dualRule": config.dual_national is not None,
        "dualMax": config.dual_national.max_common_level if config.dual_national else 0,
        "dualOrgsAny": config.dual_national is None or config.dual_national.organisations is None,
        "dualOrgs": sorted(config.dual_national.organisations or ())
        if config.dual_national
        else [],
    }
    for level, limit in enumerate(config.mfa_max_age):
        ctx[f"mfaLimit{level}"] = -1 if limit is None else limit
    return ctx


def entities_of(population: Population) -> cedarpy.Entities:
    env = population.environment()
    items = [user_entity(s, env) for s in population.subjects]
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
