"""The proficiency service's workflows beside submitting and closing (issue 19, ADR 0024
addendum): replacing a result while the round is open, with its history; declaring the
procedure version a laboratory follows; the items' homogeneity and stability checks;
closing a precision study (ISO 5725-2) and reading what it computed.

``ProficiencyService`` takes these methods from :class:`Workflows`, which leans on the
service's own unit of work, policy, catalogue and helpers (declared below for the type
checker only); every method asks the permission table first and every change commits
with its ledger event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from caveat.domain.permissions import Act, Target
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.proficiency import (
    _checks,
    _declarations,
    _precision_study,
    _resubmission,
    _rounds,
    _submissions,
)
from caveat.services.proficiency._access import visible_round
from caveat.services.proficiency._views import ResultDraft, Round, Submission
from caveat.services.proficiency._workflow_views import (
    ItemCheck,
    PrecisionLevel,
    RoundWorkflow,
    SubmissionVersion,
    VersionChoice,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from caveat.adapters.db.models.proficiency import RoundRow
    from caveat.domain.labels import Label
    from caveat.services.kernel.uow import UnitOfWork, UnitOfWorkFactory
    from caveat.services.policy import CatalogueService, PolicyService
    from caveat.services.proficiency._access import Viewer
    from caveat.services.proficiency._submissions import Lab


class Workflows:
    """Replacing results (and the round's other workflows)."""

    if TYPE_CHECKING:  # provided by ProficiencyService
        _uow: UnitOfWorkFactory
        _policy: PolicyService
        _catalogue: CatalogueService

        def _label(self, text: str) -> Label: ...
        def _viewer(self, session: Session, by: Principal) -> Viewer: ...
        def _locked(
            self, uow: UnitOfWork, by: Principal, round_id: str
        ) -> tuple[Viewer, RoundRow]: ...
        def _views(
            self, session: Session, who: Viewer, row: RoundRow, ids: list[str], unit: str
        ) -> list[Submission]: ...
        def _record_read(
            self, by: Principal, ctx: CallContext, round_id: str, ids: list[str]
        ) -> None: ...

    # -- replacing a result -----------------------------------------------------------

    def resubmit(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        result: ResultDraft,
        *,
        label: str | None = None,
    ) -> Submission:
        """Replace the caller's laboratory's result for ``result.item`` while the round
        is open and before its deadline; the replaced revision is kept. ``label`` may keep
        or tighten the result's label, never loosen it (``edit_loosens_label``)."""
        authorize(
            by,
            Act.PROFICIENCY_SUBMIT,
            Target(organisation_id=by.person.organisation_id),
            now=self._uow.clock(),
        )
        marked = None if label is None else self._label(label)
        with self._uow(ctx) as uow:
            who, row = self._locked(uow, by, round_id)
            lab = _submissions.submitting_lab(uow, by, row)
            preparer = _submissions.Preparer(uow.session, row, lab)
            prepared = preparer.prepare(result, replacing=True)
            sub = _resubmission.replace_in(
                uow, by, self._catalogue, who, row, lab, prepared, marked
            )
            return self._views(uow.session, who, row, [sub.id], preparer.unit)[0]

    def submission_history(
        self, by: Principal, ctx: CallContext, submission_id: str
    ) -> list[SubmissionVersion]:
        """Every revision of a result the caller may read, oldest first (reading another
        laboratory's is recorded as any read of its results)."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            round_row, organisation, found = _resubmission.history(session, who, submission_id)
        if organisation != by.person.organisation_id:
            self._record_read(by, ctx, round_row.id, [submission_id])
        return found

    # -- declaring the procedure version followed -------------------------------------

    def declare_procedure(
        self, by: Principal, ctx: CallContext, round_id: str, version_id: str
    ) -> Round:
        """Declare which version of the round's procedure the caller's laboratory
        follows (while the round is open); a version other than the round's is recorded
        and flagged, as ISO/IEC 17043 has a provider report each participant's method."""
        authorize(
            by,
            Act.PROFICIENCY_SUBMIT,
            Target(organisation_id=by.person.organisation_id),
            now=self._uow.clock(),
        )
        with self._uow(ctx) as uow:
            who, row = self._locked(uow, by, round_id)
            lab = _submissions.submitting_lab(uow, by, row)
            self._declare_in(uow, by, who, row, lab, version_id)
            return _rounds.round_view(uow.session, row, self._policy, who)

    def _declare_in(
        self, uow: UnitOfWork, by: Principal, who: Viewer, row: RoundRow, lab: Lab, version: str
    ) -> None:
        _declarations.declare_in(uow, by, who, row, lab, version)

    # -- what the close records beside the scores -------------------------------------

    def _closing_records(self, uow: UnitOfWork, row: RoundRow) -> dict[str, object]:
        """What the round's close event carries beside the scores: the laboratories'
        declared procedure versions (those that deviate flagged) and the items' checks
        in force (failing and missing ones flagged; neither refuses the close)."""
        return {
            "procedures": _declarations.summary(uow.session, row),
            "item_checks": _checks.summary(uow.session, row),
        }

    # -- the round page's view of the workflows ---------------------------------------

    def workflow(
        self, by: Principal, round_id: str, ctx: CallContext | None = None
    ) -> RoundWorkflow:
        """What the round page shows beside results and scores: the versions of the
        round's procedure the caller may declare, the items' checks (failing and missing
        ones named) and, with ``ctx`` (reading others' cells is recorded under it), a
        closed precision study's levels."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            row = visible_round(session, who, round_id)
            versions = tuple(
                VersionChoice(v.id, v.version, v.status, v.id == row.procedure_version_id)
                for v in _declarations.versions_of(session, who, row)
            )
            checks = _checks.checks_of(session, row)
            flags = _checks.summary(session, row)
            shown = RoundWorkflow(
                row.id,
                versions,
                tuple(checks),
                tuple(flags["failing"]),
                tuple(flags["unchecked"]),
            )
        if ctx is None or not self._is_precision_study(row):
            return shown
        return replace(shown, precision=self.precision(by, ctx, round_id))

    # -- homogeneity and stability of the items (ISO 13528 Annex B) --------------------

    def record_homogeneity(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        *,
        item: str,
        results: Sequence[Sequence[float]],
        sigma_pt: float | None = None,
    ) -> ItemCheck:
        """The coordinator records a homogeneity check of ``item``: g items (rows) x m
        replicates; the outcome (s_s against 0.3·sigma_pt) is stored with its event."""
        return self._check(by, ctx, round_id, item, ("h", results, (), sigma_pt))

    def record_stability(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        *,
        item: str,
        before: Sequence[float],
        after: Sequence[float],
        sigma_pt: float | None = None,
    ) -> ItemCheck:
        """The coordinator records a stability check of ``item``: results before and
        after; the outcome (|ȳ1 - ȳ2| against 0.3·sigma_pt) is stored with its event."""
        return self._check(by, ctx, round_id, item, ("s", before, after, sigma_pt))

    def _check(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        item: str,
        what: tuple[str, Sequence[Any], Sequence[float], float | None],
    ) -> ItemCheck:
        authorize(by, Act.PROFICIENCY_READ, now=self._uow.clock())
        kind, first, second, sigma = what
        with self._uow(ctx) as uow:
            _, row = self._locked(uow, by, round_id)
            authorize(
                by,
                Act.PROFICIENCY_ITEM_CHECK,
                Target(round_coordinator=row.coordinator_id),
                now=uow.now,
            )
            _checks.require_open(row)
            if kind == "h":
                made = _checks.homogeneity_in(uow, by, row, item, first, sigma)
            else:
                made = _checks.stability_in(uow, by, row, item, first, second, sigma)
            return next(c for c in _checks.checks_of(uow.session, row) if c.id == made.id)

    def item_checks(self, by: Principal, round_id: str) -> list[ItemCheck]:
        """The round's checks, newest first (every member of its project reads them)."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            row = visible_round(session, self._viewer(session, by), round_id)
            return _checks.checks_of(session, row)

    # -- precision studies (ISO 5725-2) ------------------------------------------------

    @staticmethod
    def _is_precision_study(row: RoundRow) -> bool:
        return row.kind == _precision_study.PRECISION_STUDY

    def _close_precision_study(self, uow: UnitOfWork, row: RoundRow) -> dict[str, Any]:
        """A precision study's close: every level screened and estimated and stored; the
        close event's data (the caller moves the round and records it)."""
        return _precision_study.close_in(uow, row)

    def precision(
        self, by: Principal, ctx: CallContext, round_id: str
    ) -> tuple[PrecisionLevel, ...]:
        """What closing a precision study computed, per level (nothing before close),
        with the laboratories' cells the caller may read; reading others' is recorded."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            found = _precision_study.levels(session, who, visible_round(session, who, round_id))
        others = [c.submission_id for level in found for c in level.cells if not c.own]
        if others:
            self._record_read(by, ctx, round_id, others)
        return found
