"""The policy decision point: ``decide(subject, action, resource, context) -> Decision``.

Every requirement is evaluated and reported, whether or not an earlier one failed,
so a decision always says everything that stands between the subject and the
resource. Deny by default: the decision permits only when every requirement that
applies to the action holds. No role appears here: roles administer, they never
satisfy a requirement.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from caveat.domain.errors import InvalidInput
from caveat.domain.policy.config import PolicyEnvironment
from caveat.domain.policy.facts import SubjectFacts, subject_facts
from caveat.domain.policy.model import (
    Action,
    Decision,
    NodeRecipient,
    Obligation,
    Requirement,
    RequirementResult,
    Resource,
    Subject,
)

# Seeing metadata is not an export of technical data and needs no fresh MFA.
_NOT_FOR_DISCOVER = frozenset({Requirement.EXPORT_AUTHORIZATION, Requirement.MFA_FRESHNESS})
_LEVELS = ("unclassified", "restricted", "confidential", "secret", "top secret")


@dataclass(slots=True)
class Context:
    """The moment of the decision, the subject's MFA time and the policy environment.

    Subject facts are derived once per subject and reused for every resource decided
    in this context (a listing, a who-can); build a new context for a new moment.
    """

    now: datetime
    mfa_at: datetime | None
    env: PolicyEnvironment
    _memo: dict[int, tuple[Subject, SubjectFacts]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise InvalidInput("decision time must be timezone-aware", code="naive_time")

    def facts(self, subject: Subject) -> SubjectFacts:
        """The subject's facts at this moment (memoised by identity)."""
        hit = self._memo.get(id(subject))
        if hit is not None and hit[0] is subject:
            return hit[1]
        derived = subject_facts(subject, self.env, self.now, self.mfa_at)
        self._memo[id(subject)] = (subject, derived)
        return derived


def level_name(common: int) -> str:
    """The common-scale name of a level."""
    return _LEVELS[common]


def _result(
    requirement: Requirement,
    ok: bool,
    detail: str,
    subject_detail: str | None = None,
    *,
    applies: bool = True,
) -> RequirementResult:
    return RequirementResult(requirement, ok, applies, detail, subject_detail or detail)


def _account(f: SubjectFacts) -> RequirementResult:
    if f.account_ok:
        return _result(Requirement.ACCOUNT, True, "account active, MFA enrolled, clearance in date")
    text = "; ".join(f.account_problems)
    return _result(Requirement.ACCOUNT, False, text)


def _clearance(f: SubjectFacts, level: int) -> RequirementResult:
    name = level_name(level)
    if level in f.cleared_levels:
        return _result(Requirement.CLEARANCE, True, f"clearance covers {name}")
    why = "no clearance in date" if not f.clearance_valid else "clearance does not reach"
    return _result(
        Requirement.CLEARANCE,
        False,
        f"{why}: the resource is {name}; levels covered: "
        + ", ".join(level_name(c) for c in sorted(f.cleared_levels)),
        f"your clearance does not cover {name} information",
    )


def _covered(f: SubjectFacts, nation: str, codes: frozenset[str], originator: str | None) -> bool:
    return nation == originator or bool(f.covering[nation] & codes)


def _releasability(
    s: Subject, f: SubjectFacts, r: Resource, env: PolicyEnvironment
) -> RequirementResult:
    facts = r.facts
    assert facts is not None
    req = Requirement.RELEASABILITY
    origin = facts.originator_nation
    if facts.rel_mode == "open":
        return _result(req, True, "unclassified and not restricted in release")
    if facts.rel_mode in ("noforn", "originator"):
        what = "NOFORN" if facts.rel_mode == "noforn" else "classified and not released abroad"
        if origin is None:
            return _result(req, False, f"{what}, and the originator's nation is unknown")
        foreign = sorted(f.nationalities - {origin})
        if not foreign:
            return _result(req, True, f"{what}: every nationality is {origin}")
        return _result(
            req,
            False,
            f"{what}: releasable to {origin} nationals only; "
            f"also a national of {', '.join(foreign)}",
            "releasable to the originator's nationals only; you hold another nationality",
        )
    missing = sorted(n for n in f.nationalities if not _covered(f, n, facts.rel_codes, origin))
    listed = ", ".join(sorted(facts.rel_codes))
    if not missing:
        return _result(req, True, f"every nationality is covered by REL TO {listed}")
    rule = env.config.dual_national
    if (
        rule is not None
        and f.dual_eligible
        and facts.common_level <= rule.max_common_level
        and _covered(f, s.organisation_nation, facts.rel_codes, origin)
        and len(missing) < len(f.nationalities)
    ):
        return _result(
            req,
            True,
            f"{', '.join(missing)} not on REL TO {listed}; excused by the dual/third-country "
            f"national rule ({rule.source})",
        )
    return _result(
        req,
        False,
        f"nationality {', '.join(missing)} is not covered by REL TO {listed}",
        f"not releasable to your nationality {', '.join(missing)}",
    )


def _caveats(s: Subject, f: SubjectFacts, r: Resource) -> RequirementResult:
    facts = r.facts
    assert facts is not None
    req = Requirement.CAVEATS
    missing = sorted(facts.held_caveats - f.holdings)
    problems = []
    if missing:
        problems.append("not read on to " + ", ".join(missing))
    originator_ok = (
        not facts.originator_controlled
        or (r.originator_org_id is not None and s.organisation_id == r.originator_org_id)
        or r.id in f.originator_grants
    )
    if not originator_ok:
        problems.append("originator-controlled (ORCON/IMCON/PROPIN) and no originator grant")
    if not problems:
        return _result(req, True, "every restrictive caveat is held")
    safe = []
    if missing:
        safe.append(f"you do not hold {len(missing)} of the restrictive caveats")
    if not originator_ok:
        safe.append("the originator has not granted you access")
    return _result(req, False, "; ".join(problems), "; ".join(safe))


def _need_to_know(s: Subject, f: SubjectFacts, r: Resource, action: Action) -> RequirementResult:
    req = Requirement.NEED_TO_KNOW
    member = r.project_id in f.projects
    if action in (Action.DISCOVER, Action.READ):
        if member:
            return _result(req, True, f"member of project {r.project_id}")
        if r.id in f.access_grants:
            return _result(req, True, "holds an explicit access grant")
        return _result(
            req,
            False,
            f"not a member of project {r.project_id} and no access grant",
            "you are not a member of the resource's project and hold no grant",
        )
    if not member:
        return _result(
            req,
            False,
            f"{action.value} needs membership of project {r.project_id}",
            f"{action.value} needs membership of the resource's project",
        )
    if action is Action.MODIFY:
        return _result(req, True, f"member of project {r.project_id}")
    if r.originator_org_id is not None and s.organisation_id == r.originator_org_id:
        return _result(req, True, "project member of the originating organisation")
    return _result(
        req,
        False,
        f"{action.value} is the originator's decision (organisation {r.originator_org_id})",
        f"only the originating organisation may {action.value} it",
    )


def _agreement(s: Subject, f: SubjectFacts, r: Resource) -> RequirementResult:
    facts = r.facts
    assert facts is not None
    req = Requirement.AGREEMENT
    if facts.originator_nation is not None and s.organisation_nation == facts.originator_nation:
        return _result(
            req, True, f"domestic: organisation and originator are both {s.organisation_nation}"
        )
    entries = frozenset(c.entry for c in r.controls)
    for terms in f.agreements:
        if (
            r.project_id in terms.projects
            and facts.common_level <= terms.max_common_level
            and (terms.controls is None or entries <= terms.controls)
        ):
            return _result(
                req,
                True,
                f"covered by agreement {terms.id} ({terms.name})",
                "an agreement in force covers your organisation for this information",
            )
    origin = facts.originator_nation or "an unknown nation"
    return _result(
        req,
        False,
        f"no agreement in force covers {s.organisation_nation} organisation {s.organisation_id} "
        f"for project {r.project_id} at {level_name(facts.common_level)} "
        f"(originator {origin}; {len(f.agreements)} agreements considered)",
        "no agreement in force covers your organisation for this information",
    )


def _export(f: SubjectFacts, r: Resource) -> RequirementResult:
    req = Requirement.EXPORT_AUTHORIZATION
    uncovered = [
        c.entry
        for c in r.controls
        if not c.exempt and c.jurisdiction not in f.jurisdictions and c.entry not in f.authorized
    ]
    if not r.controls:
        return _result(req, True, "no export-control entries")
    if not uncovered:
        return _result(req, True, "every control entry is domestic, exempt or authorized")
    return _result(
        req,
        False,
        "no authorization covers " + ", ".join(uncovered),
        f"{len(uncovered)} export-control "
        + ("entry needs" if len(uncovered) == 1 else "entries need")
        + " an authorization that covers you",
    )


def _screening(f: SubjectFacts) -> RequirementResult:
    req = Requirement.SCREENING
    if not f.holds:
        return _result(req, True, "no screening hold")
    # Never tip off a screened party: the subject hears only that a check is open.
    return _result(
        req,
        False,
        "screening hold: " + "; ".join(f"{h.id} on {h.on}: {h.reason}" for h in f.holds),
        "a compliance check is open; ask your security officer",
    )


def _embargo(f: SubjectFacts, r: Resource) -> RequirementResult:
    facts = r.facts
    assert facts is not None
    req = Requirement.EMBARGO
    jurisdictions = {c.jurisdiction for c in r.controls}
    applying = [
        e
        for e in f.embargoes
        if e.imposed_by == facts.originator_nation or e.imposed_by in jurisdictions
    ]
    if not applying:
        return _result(req, True, "no applicable embargo")
    return _result(
        req,
        False,
        "; ".join(f"embargo {e.id}: {e.imposed_by} on {e.nation} ({e.source})" for e in applying),
        "an embargo on one of your nations applies to this information",
    )


def _mfa(f: SubjectFacts, level: int, env: PolicyEnvironment) -> RequirementResult:
    req = Requirement.MFA_FRESHNESS
    limit = env.config.mfa_max_age[level]
    if level in f.mfa_levels:
        return _result(
            req, True, "no MFA freshness needed" if limit is None else f"MFA within {limit} s"
        )
    age = "no MFA proof in this credential" if f.mfa_age is None else f"last MFA {f.mfa_age} s ago"
    return _result(req, False, f"{age}; {level_name(level)} needs MFA within {limit} s")


def _unlabelled(requirement: Requirement) -> RequirementResult:
    return _result(
        requirement, False, "the resource carries no label: unlabelled data is never shown"
    )


def decide(subject: Subject, action: Action, resource: Resource, context: Context) -> Decision:
    """Evaluate every requirement for ``action``; permit only if all that apply hold."""
    f = context.facts(subject)
    env = context.env
    facts = resource.facts
    results: list[RequirementResult] = [_account(f)]
    if facts is None:
        results += [_unlabelled(Requirement(n)) for n in range(2, 5)]
    else:
        results += [
            _clearance(f, facts.common_level),
            _releasability(subject, f, resource, env),
            _caveats(subject, f, resource),
        ]
    results.append(_need_to_know(subject, f, resource, action))
    if facts is None:
        results += [_unlabelled(Requirement.AGREEMENT), _export(f, resource)]
        results += [
            _screening(f),
            _unlabelled(Requirement.EMBARGO),
            _unlabelled(Requirement.MFA_FRESHNESS),
        ]
    else:
        results += [_agreement(subject, f, resource), _export(f, resource), _screening(f)]
        results += [_embargo(f, resource), _mfa(f, facts.common_level, env)]
    if action is Action.DISCOVER:
        results = [
            RequirementResult(r.requirement, r.satisfied, False, r.detail, r.subject_detail)
            if r.requirement in _NOT_FOR_DISCOVER
            else r
            for r in results
        ]
    permitted = all(r.satisfied for r in results if r.applies)
    obligations: tuple[Obligation, ...] = ()
    mfa = results[Requirement.MFA_FRESHNESS - 1]
    if mfa.applies and not mfa.satisfied and facts is not None:
        limit = env.config.mfa_max_age[facts.common_level]
        obligations = (Obligation("step_up_mfa", "prove MFA again, then retry", limit),)
    return Decision(
        subject_id=subject.id,
        resource_id=resource.id,
        action=action,
        permitted=permitted,
        results=tuple(results),
        obligations=obligations,
        at=context.now,
    )


# A received item is in no project of this node: need-to-know (project membership and
# grants) and agreements (which cover projects and programmes) have nothing to bind to.
_NOT_FOR_RECEIVED = frozenset({Requirement.NEED_TO_KNOW, Requirement.AGREEMENT})


def decide_received(
    subject: Subject, action: Action, resource: Resource, context: Context
) -> Decision:
    """Whether ``subject`` may ``action`` an item a partner node released to this node.

    The item is in no project here, so need-to-know and agreements do not apply (the
    release itself rested on the agreements its peering names, decided at the sender);
    every other requirement decides as for a catalogue item: clearance, releasability to
    every nationality, caveats, export authorization, screening, embargoes, MFA."""
    decided = decide(subject, action, resource, context)
    results = tuple(
        replace(
            r,
            applies=False,
            detail="a received item is in no project: " + r.requirement.code + " does not apply",
        )
        if r.requirement in _NOT_FOR_RECEIVED
        else r
        for r in decided.results
    )
    return replace(
        decided, results=results, permitted=all(r.satisfied for r in results if r.applies)
    )


def decide_node_release(node: NodeRecipient, resource: Resource, context: Context) -> Decision:
    """Whether ``resource`` may be released to a partner node, by the same requirements
    that decide a person's read: the node's accreditation for clearance, its nation for
    releasability and embargoes, the organisation that runs it for screening and export
    authorizations, and only the agreements its peering names. A node holds no caveats
    and no originator grant, so caveated and originator-controlled items go back to
    their originator; need-to-know and MFA are a person's and do not apply."""
    subject = Subject(
        id=f"peer:{node.peer_id}",
        username=node.name,
        organisation_id=node.organisation_id,
        organisation_nation=node.nation,
        active=True,
        mfa_enrolled=True,
        citizenships=frozenset({node.nation}),
    )
    f = context.facts(subject)
    f = replace(f, agreements=tuple(a for a in f.agreements if a.id in node.agreement_ids))
    facts = resource.facts
    results = [_result(Requirement.ACCOUNT, True, f"an active peer node ({node.name})")]
    if facts is None:
        results += [_unlabelled(Requirement(n)) for n in range(2, 5)]
    else:
        level = facts.common_level
        results += [
            _result(
                Requirement.CLEARANCE,
                level <= node.accredited_level,
                f"the node is accredited to {level_name(node.accredited_level)}; "
                f"the resource is {level_name(level)}",
            ),
            _releasability(subject, f, resource, context.env),
            _caveats(subject, f, resource),
        ]
    results.append(
        _result(
            Requirement.NEED_TO_KNOW,
            True,
            "a release to a node is scoped by the agreements its peering names",
            applies=False,
        )
    )
    if facts is None:
        results += [_unlabelled(Requirement.AGREEMENT), _export(f, resource), _screening(f)]
        results.append(_unlabelled(Requirement.EMBARGO))
    else:
        results += [_agreement(subject, f, resource), _export(f, resource), _screening(f)]
        results.append(_embargo(f, resource))
    results.append(
        _result(Requirement.MFA_FRESHNESS, True, "a node proves itself by signature", applies=False)
    )
    return Decision(
        subject_id=subject.id,
        resource_id=resource.id,
        action=Action.READ,
        permitted=all(r.satisfied for r in results if r.applies),
        results=tuple(results),
        obligations=(),
        at=context.now,
    )
