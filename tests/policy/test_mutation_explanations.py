"""Every requirement's explanation, for the officer and for the subject, in nine cases.

Written against the survivors of the 2026-12-06 mutation run of ``policy.engine`` and
``policy.facts``: the wording of most explanations was not checked. These are what an
officer reads on the explanation page and what the subject is told (which must never name
an agreement, a project, a screening reason or a nationality list it may not know).
"""

# ruff: noqa: E501 (the explanations are asserted whole)

from __future__ import annotations

import pytest

from caveat.domain.policy import (
    Action,
    Context,
    DatedEmbargo,
    DualNationalRule,
    EmbargoTerms,
    MemoryEmbargoes,
    MemoryScreening,
    PolicyConfig,
    ScreeningHold,
    decide,
)
from tests.policy.population import NOW
from tests.policy.test_decide import env, person, resource

DUAL = env(config=PolicyConfig(dual_national=DualNationalRule()))
CASES = {
    "a dual national on NOFORN": (person("USA", "FRA"), resource("SECRET//NOFORN"), env()),
    "a dual national on plain SECRET": (person("USA", "CAN"), resource("SECRET"), env()),
    "a third nationality off the REL TO list": (
        person("GBR", "FRA", org="dstl", org_nation="GBR"),
        resource("SECRET//REL TO USA, GBR"),
        env(),
    ),
    "an ITAR entry without an authorization": (
        person("GBR", org="dstl", org_nation="GBR"),
        resource("SECRET//REL TO USA, GBR", controls=("ITAR:USML-XI(c)(1)", "EAR:EAR99")),
        env(),
    ),
    "no MFA proof": (person("USA"), resource("SECRET//REL TO USA, GBR"), env()),
    "excused by the dual-national rule": (
        person("USA", "FRA"),
        resource("UNCLASSIFIED//REL TO USA, GBR"),
        DUAL,
    ),
    "a foreign organisation on open information": (
        person("FRA", org="thales", org_nation="FRA"),
        resource("UNCLASSIFIED"),
        env(),
    ),
    "a screening hold and an embargo": (
        person("GBR", "IRN", org="dstl", org_nation="GBR"),
        resource("SECRET//REL TO USA, GBR"),
        env(
            screening=MemoryScreening([("s1", ScreeningHold("hit-77", "person", "OFAC SDN"))]),
            embargoes=MemoryEmbargoes(
                [DatedEmbargo(EmbargoTerms("e1", "USA", "IRN", "ITAR 126.1"))]
            ),
        ),
    ),
    "caveats not held, originator control": (
        person("USA", org="lockheed", level=4),
        resource("TOP SECRET//SI/TK//ORCON/NOFORN"),
        env(),
    ),
}
EXPLAINED = {
    "a dual national on NOFORN": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers secret", "clearance covers secret"),
        (
            "releasability",
            False,
            "NOFORN: releasable to USA nationals only; also a national of FRA",
            "releasable to the originator's nationals only; you hold another nationality",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            True,
            "domestic: organisation and originator are both USA",
            "domestic: organisation and originator are both USA",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "MFA within 3600 s", "MFA within 3600 s"),
    ],
    "a dual national on plain SECRET": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers secret", "clearance covers secret"),
        (
            "releasability",
            False,
            "classified and not released abroad: releasable to USA nationals only; also a national of CAN",
            "releasable to the originator's nationals only; you hold another nationality",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            True,
            "domestic: organisation and originator are both USA",
            "domestic: organisation and originator are both USA",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "MFA within 3600 s", "MFA within 3600 s"),
    ],
    "a third nationality off the REL TO list": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers secret", "clearance covers secret"),
        (
            "releasability",
            False,
            "nationality FRA is not covered by REL TO GBR, USA",
            "not releasable to your nationality FRA",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            False,
            "no agreement in force covers GBR organisation dstl for project p1 at secret (originator USA; 0 agreements considered)",
            "no agreement in force covers your organisation for this information",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "MFA within 3600 s", "MFA within 3600 s"),
    ],
    "an ITAR entry without an authorization": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers secret", "clearance covers secret"),
        (
            "releasability",
            True,
            "every nationality is covered by REL TO GBR, USA",
            "every nationality is covered by REL TO GBR, USA",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            False,
            "no agreement in force covers GBR organisation dstl for project p1 at secret (originator USA; 0 agreements considered)",
            "no agreement in force covers your organisation for this information",
        ),
        (
            "export_authorization",
            False,
            "no authorization covers ITAR:USML-XI(c)(1)",
            "1 export-control entry needs an authorization that covers you",
        ),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "MFA within 3600 s", "MFA within 3600 s"),
    ],
    "no MFA proof": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers secret", "clearance covers secret"),
        (
            "releasability",
            True,
            "every nationality is covered by REL TO GBR, USA",
            "every nationality is covered by REL TO GBR, USA",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            True,
            "domestic: organisation and originator are both USA",
            "domestic: organisation and originator are both USA",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        (
            "mfa_freshness",
            False,
            "no MFA proof in this credential; secret needs MFA within 3600 s",
            "no MFA proof in this credential; secret needs MFA within 3600 s",
        ),
    ],
    "excused by the dual-national rule": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers unclassified", "clearance covers unclassified"),
        (
            "releasability",
            True,
            "FRA not on REL TO GBR, USA; excused by the dual/third-country national rule (22 CFR 126.18 (dual and third-country national employees))",
            "FRA not on REL TO GBR, USA; excused by the dual/third-country national rule (22 CFR 126.18 (dual and third-country national employees))",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            True,
            "domestic: organisation and originator are both USA",
            "domestic: organisation and originator are both USA",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "no MFA freshness needed", "no MFA freshness needed"),
    ],
    "a foreign organisation on open information": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers unclassified", "clearance covers unclassified"),
        (
            "releasability",
            True,
            "unclassified and not restricted in release",
            "unclassified and not restricted in release",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            False,
            "no agreement in force covers FRA organisation thales for project p1 at unclassified (originator USA; 0 agreements considered)",
            "no agreement in force covers your organisation for this information",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "no MFA freshness needed", "no MFA freshness needed"),
    ],
    "a screening hold and an embargo": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers secret", "clearance covers secret"),
        (
            "releasability",
            False,
            "nationality IRN is not covered by REL TO GBR, USA",
            "not releasable to your nationality IRN",
        ),
        ("caveats", True, "every restrictive caveat is held", "every restrictive caveat is held"),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            False,
            "no agreement in force covers GBR organisation dstl for project p1 at secret (originator USA; 0 agreements considered)",
            "no agreement in force covers your organisation for this information",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        (
            "screening",
            False,
            "screening hold: hit-77 on person: OFAC SDN",
            "a compliance check is open; ask your security officer",
        ),
        (
            "embargo",
            False,
            "embargo e1: USA on IRN (ITAR 126.1)",
            "an embargo on one of your nations applies to this information",
        ),
        ("mfa_freshness", True, "MFA within 3600 s", "MFA within 3600 s"),
    ],
    "caveats not held, originator control": [
        (
            "account",
            True,
            "account active, MFA enrolled, clearance in date",
            "account active, MFA enrolled, clearance in date",
        ),
        ("clearance", True, "clearance covers top secret", "clearance covers top secret"),
        (
            "releasability",
            True,
            "NOFORN: every nationality is USA",
            "NOFORN: every nationality is USA",
        ),
        (
            "caveats",
            False,
            "not read on to SCI:SI, SCI:TK; originator-controlled (ORCON/IMCON/PROPIN) and no originator grant",
            "you do not hold 2 of the restrictive caveats; the originator has not granted you access",
        ),
        ("need_to_know", True, "member of project p1", "member of project p1"),
        (
            "agreement",
            True,
            "domestic: organisation and originator are both USA",
            "domestic: organisation and originator are both USA",
        ),
        ("export_authorization", True, "no export-control entries", "no export-control entries"),
        ("screening", True, "no screening hold", "no screening hold"),
        ("embargo", True, "no applicable embargo", "no applicable embargo"),
        ("mfa_freshness", True, "MFA within 900 s", "MFA within 900 s"),
    ],
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_requirement_explains_itself(case: str) -> None:
    subject, item, environment = CASES[case]
    mfa_at = None if case == "no MFA proof" else NOW
    decision = decide(subject, Action.READ, item, Context(NOW, mfa_at, environment))
    explained = [(r.code, r.satisfied, r.detail, r.subject_detail) for r in decision.results]
    assert explained == EXPLAINED[case]
    assert decision.permitted == all(r.satisfied for r in decision.results)
