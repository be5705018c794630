"""Property (issue 11): for random (old, new) labels and export classifications, a direct
relabel by the originating organisation succeeds iff it tightens; whatever path a relabel
takes, once whoever may decide it has, the content still downloads (its binding verifies)
and verifying every artifact stays clean."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.bootstrap.container import Node
from caveat.domain.compliance.release import RelabelPath
from caveat.domain.errors import CaveatError
from caveat.services.artifacts._service import NewArtifact
from caveat.services.compliance._authorizations import AuthorizationDraft
from caveat.services.kernel.uow import CallContext
from tests.compliance.support import CONSOLE, World, build
from tests.support import FakeClock

EAR = "EAR:EAR99"  # recorded, and needs no authorization
ITAR = "ITAR:USML-XI(c)(1)"
LEVELS = ("CONFIDENTIAL", "SECRET")
DATA = b"calibration table\n"


@dataclass(frozen=True)
class Marking:
    level: int  # index into LEVELS
    rel: frozenset[str] | None  # None: NOFORN (US nationals only)
    orcon: bool
    controls: frozenset[str]
    dual_use: bool

    @property
    def text(self) -> str:
        dissem = ["ORCON"] if self.orcon else []
        if self.rel is None:
            dissem.append("NOFORN")
        else:
            dissem.append("REL TO " + ", ".join(["USA", *sorted(self.rel)]))
        return f"{LEVELS[self.level]}//" + "/".join(dissem)

    def protects_at_least(self, old: Marking) -> bool:
        """The test's own oracle for "tightens" (independent of the label algebra)."""
        narrower = self.rel is None or (old.rel is not None and self.rel <= old.rel)
        return (
            self.level >= old.level
            and narrower
            and (self.orcon or not old.orcon)
            and old.controls <= self.controls
            and (self.dual_use or not old.dual_use)
        )


markings = st.builds(
    Marking,
    level=st.integers(0, 1),
    rel=st.one_of(st.none(), st.frozensets(st.sampled_from(["FRA", "GBR"]), min_size=1)),
    orcon=st.booleans(),
    controls=st.frozensets(st.sampled_from([EAR, ITAR])),
    dual_use=st.booleans(),
)


@pytest.fixture
def lab(node: Node, clock: FakeClock) -> World:
    made = build(node, clock)
    onera = made.scenario.org("ONERA", "FRA")
    made.scenario.person("claire", nations=("FRA",), org=onera)
    node.projects.add_member(CONSOLE, CallContext.cli(), made.project, "eco")
    agreement = node.agreements.create(
        CONSOLE,
        CallContext.cli(),
        made.draft(party_nations=("USA", "GBR", "FRA"), name="Trilateral"),
    )
    node.agreements.move(CONSOLE, CallContext.cli(), agreement.id, "activate", reason="signed")
    node.authorizations.create(
        CONSOLE,
        CallContext.cli(),
        AuthorizationDraft(
            type="DSP-5",
            jurisdiction="USA",
            number="LIC-ALL",
            entries=(ITAR,),
            valid_from=made.today,
            valid_to=made.today + timedelta(days=365),
            nations=("GBR", "FRA"),
            max_level=3,
        ),
    )
    return made


def _upload(lab: World, old: Marking) -> str:
    version = lab.node.artifacts.put(
        lab.principal("alice"),
        CallContext.cli(),
        iter([DATA]),
        sha256=hashlib.sha256(DATA).hexdigest(),
        new=NewArtifact(
            project=lab.project,
            kind="dataset",
            title="Calibration",
            label=old.text,
            controls=tuple(sorted(old.controls)),
            dual_use=old.dual_use,
        ),
        filename="cal.txt",
    )
    with lab.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        return row.artifact_id


def _decide(lab: World, outcome_path: RelabelPath, request_id: str) -> None:
    """Whoever may decide does: the originator's officer (after export control)."""
    node, ctx = lab.node, CallContext.cli()
    if outcome_path is RelabelPath.REQUESTED:
        node.artifacts.decide_relabel(
            lab.principal("sol"), ctx, request_id, approve=True, reason="agreed"
        )
        return
    asked = next(r for r in node.releases.requests(CONSOLE) if r.id == request_id)
    eco = lab.principal("eco")
    if ITAR in (asked.label_export or ()):
        node.releases.classify(eco, ctx, request_id, authorization="LIC-ALL",
                               dual_use_review="reviewed")  # fmt: skip
    else:
        node.releases.classify(eco, ctx, request_id, not_controlled_reason="no entries",
                               dual_use_review="reviewed")  # fmt: skip
    node.releases.decide(lab.principal("sol"), ctx, request_id, approve=True, reason="agreed")


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(old=markings, new=markings, by_originator=st.booleans())
def test_a_direct_relabel_succeeds_iff_it_tightens_and_content_stays_readable(
    lab: World, old: Marking, new: Marking, by_originator: bool
) -> None:
    node, ctx = lab.node, CallContext.cli()
    artifact = _upload(lab, old)
    who = "alice" if by_originator else "bob"
    try:
        done = node.artifacts.relabel(
            lab.principal(who),
            ctx,
            artifact,
            label=new.text,
            controls=sorted(new.controls),
            dual_use=new.dual_use,
            reason="property check",
        )
    except CaveatError as exc:
        refusal: str | None = exc.code
    else:
        refusal = None
    if refusal is not None:
        # Only someone who may not read it (or the new label) is refused; the originator
        # reads everything here, so is never refused.
        assert not by_originator, refusal
        assert refusal in ("unknown_artifact", "policy_denied", "label_above_reader")
    else:
        path = done.outcome.path
        tightens = new.protects_at_least(old)
        if by_originator:
            assert (path is RelabelPath.APPLIED) == tightens, (old, new, path)
        else:
            assert path is not RelabelPath.APPLIED  # never direct from another organisation
            assert (path is RelabelPath.REQUESTED) == tightens, (old, new, path)
        if path is not RelabelPath.APPLIED:
            request = done.outcome.request
            _decide(lab, path, request.id if request else str(done.outcome.release_id))
        shown = node.artifacts.show(lab.principal("alice"), artifact)
        assert shown.banner.startswith(LEVELS[new.level])
        assert set(shown.export) == new.controls
    opened = node.artifacts.open_content(lab.principal("alice"), ctx, artifact)
    assert b"".join(opened.chunks) == DATA
    report = node.artifact_admin.verify(CONSOLE, ctx)
    assert report.clean, report.problems
