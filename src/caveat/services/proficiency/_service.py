"""The proficiency service: procedures, rounds, submissions, closing and results.

Every method takes the acting subject first and asks the permission table first
(``Act.PROFICIENCY_*``); what is read of labelled rows is the policy's decision, and
another laboratory's results are read only when the table's blindness rule allows it
(``_access.py``). Every change commits with its ledger event; reading other
laboratories' results is an event too (one per request that returned any).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.proficiency import ProcedureRow, RoundRow
from caveat.domain.errors import CaveatError
from caveat.domain.labels import Label
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import ROUND, RoundStatus
from caveat.domain.permissions import Act, Target
from caveat.domain.proficiency_report import ProficiencyReport
from caveat.services.artifacts import parse_label_text
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.ports import PlotRenderer, ProficiencyReportRenderer
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.policy import CatalogueService, PolicyService
from caveat.services.proficiency import (
    _charts,
    _evaluation,
    _procedures,
    _reports,
    _rounds,
    _submissions,
    _upload,
)
from caveat.services.proficiency._access import (
    Viewer,
    procedure_missing,
    round_missing,
    viewer,
    visible_round,
)
from caveat.services.proficiency._submissions import DEFAULT_COVERAGE
from caveat.services.proficiency._views import (
    ItemResults,
    Plots,
    Procedure,
    ProcedureDraft,
    ProcedureVersion,
    ResultDraft,
    Round,
    RoundDraft,
    RoundResults,
    Submission,
)
from caveat.services.proficiency._workflows import Workflows


class ProficiencyService(Workflows):
    """Standardized test and evaluation: procedures, interlaboratory rounds, scores (the
    workflows beside them, replacing results and the rest, in ``_workflows.py``)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        policy: PolicyService,
        catalogue: CatalogueService,
        plots: PlotRenderer,
        reports: ProficiencyReportRenderer | None = None,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._catalogue = catalogue
        self._plots = plots
        self._reports = reports

    def _label(self, text: str) -> Label:
        return parse_label_text(text, self._policy, self._uow.clock())

    def _viewer(self, session: Session, by: Principal) -> Viewer:
        return viewer(session, self._policy, by, self._uow.clock())

    # -- procedures -----------------------------------------------------------------

    def create_procedure(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        project: str,
        name: str,
        draft: ProcedureDraft,
        label: str,
    ) -> ProcedureVersion:
        """A new procedure of ``project`` with its first version, a draft under ``label``."""
        authorize(by, Act.PROFICIENCY_PROCEDURE_WRITE, now=self._uow.clock())
        marked = self._label(label)
        with self._uow(ctx) as uow:
            _, version = _procedures.create_in(
                uow, by, self._catalogue, project=project, name=name, draft=draft, label=marked
            )
            return _procedures.version_view(uow.session, version, self._policy)

    def add_version(
        self, by: Acting, ctx: CallContext, procedure: str, draft: ProcedureDraft, *, label: str
    ) -> ProcedureVersion:
        """A new draft version of a procedure (a change is always a new version)."""
        authorize(by, Act.PROFICIENCY_PROCEDURE_WRITE, now=self._uow.clock())
        marked = self._label(label)
        with self._uow(ctx) as uow:
            row = uow.session.get(ProcedureRow, procedure)
            if row is None or (
                isinstance(by, Principal)
                and not self._viewer(uow.session, by).member_of(row.project_id)
            ):
                raise procedure_missing(procedure)
            version = _procedures.write_version_in(uow, by, self._catalogue, row, draft, marked)
            uow.record(
                "proficiency.procedure_version_added",
                by.actor(),
                target_id=row.id,
                data={
                    "version_id": version.id,
                    "version": version.version,
                    "measurand": version.measurand,
                    "unit": version.unit,
                },
            )
            return _procedures.version_view(uow.session, version, self._policy)

    def approve(self, by: Principal, ctx: CallContext, version_id: str) -> ProcedureVersion:
        """Approve a draft version (a programme manager who did not write it); the version
        approved before it is superseded."""
        authorize(by, Act.PROFICIENCY_READ, now=self._uow.clock())
        with self._uow(ctx) as uow:
            row = _procedures.readable_version(
                uow.session, self._viewer(uow.session, by), version_id
            )
            authorize(
                by,
                Act.PROFICIENCY_PROCEDURE_APPROVE,
                Target(requested_by=row.created_by),
                now=uow.now,
            )
            _procedures.approve_in(uow, by, row)
            return _procedures.version_view(uow.session, row, self._policy)

    def procedures(self, by: Principal, *, project: str | None = None) -> list[Procedure]:
        """The procedures of the caller's projects, with the versions they may read."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            project_id = None
            if project is not None:
                from caveat.services.projects import find_project

                project_id = find_project(session, project).id
            return _procedures.procedure_views(
                session, self._viewer(session, by), project_id=project_id
            )

    def procedure(self, by: Principal, procedure_id: str) -> Procedure:
        """One procedure with the versions the caller may read."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            found = _procedures.procedure_views(
                session, self._viewer(session, by), procedure_id=procedure_id
            )
            if not found:
                raise procedure_missing(procedure_id)
            return found[0]

    # -- rounds ---------------------------------------------------------------------

    def open_round(self, by: Acting, ctx: CallContext, draft: RoundDraft) -> Round:
        """Open a round on an approved procedure version (programme managers)."""
        authorize(by, Act.PROFICIENCY_ROUND_OPEN, now=self._uow.clock())
        marked = self._label(draft.label)
        with self._uow(ctx) as uow:
            who = None
            if isinstance(by, Principal):
                who = self._viewer(uow.session, by)
                _procedures.readable_version(uow.session, who, draft.procedure_version)
            row = _rounds.open_in(uow, by, draft, marked)
            return _rounds.round_view(uow.session, row, self._policy, who)

    def rounds(self, by: Principal) -> list[Round]:
        """The rounds of the caller's projects, newest first."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            return [
                _rounds.round_view(session, row, self._policy, who)
                for row in _rounds.visible_rounds(session, who)
            ]

    def round(self, by: Principal, round_id: str) -> Round:
        """One round, if the caller may see it."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            return _rounds.round_view(
                session, visible_round(session, who, round_id), self._policy, who
            )

    def _locked(self, uow: UnitOfWork, by: Principal, round_id: str) -> tuple[Viewer, RoundRow]:
        """The round, locked for this transaction (submissions and the close take turns)."""
        who = self._viewer(uow.session, by)
        row = uow.session.scalar(select(RoundRow).where(RoundRow.id == round_id).with_for_update())
        if row is None or not who.member_of(row.project_id):
            raise round_missing(round_id)
        return who, row

    # -- submissions ----------------------------------------------------------------

    def submit(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        results: Sequence[ResultDraft],
        *,
        label: str | None = None,
        procedure_version: str | None = None,
    ) -> list[Submission]:
        """Submit the caller's laboratory's results (all or none), each a labelled
        resource under ``label`` or else the round's; ``procedure_version``: the version
        the laboratory declares it followed (recorded, flagged when not the round's)."""
        authorize(
            by,
            Act.PROFICIENCY_SUBMIT,
            Target(organisation_id=by.person.organisation_id),
            now=self._uow.clock(),
        )
        marked = None if label is None else self._label(label)
        if not results:
            from caveat.domain.errors import InvalidInput

            raise InvalidInput("no results to submit", code="invalid_input", field="results")
        with self._uow(ctx) as uow:
            who, row = self._locked(uow, by, round_id)
            lab = _submissions.submitting_lab(uow, by, row)
            preparer = _submissions.Preparer(uow.session, row, lab)
            prefix = len(results) > 1
            prepared = [
                preparer.prepare(d, f"results[{i}]." if prefix else "")
                for i, d in enumerate(results)
            ]
            stored = _submissions.store_in(
                uow,
                by,
                self._catalogue,
                row,
                lab,
                prepared,
                marked or _rounds.round_label(row, self._policy),
            )
            if procedure_version is not None:
                self._declare_in(uow, by, who, row, lab, procedure_version)
            return self._views(uow.session, who, row, [s.id for s in stored], preparer.unit)

    def upload(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        *,
        filename: str,
        content: bytes,
        label: str | None = None,
    ) -> list[Submission]:
        """Submit the results of a CSV or XLSX file: every row good, or nothing stored
        and ``invalid_results_file`` listing each fault by row and column."""
        authorize(
            by,
            Act.PROFICIENCY_SUBMIT,
            Target(organisation_id=by.person.organisation_id),
            now=self._uow.clock(),
        )
        marked = None if label is None else self._label(label)
        name = filename.rsplit("/", 1)[-1][:200] or "the file"
        rows, errors = _upload.read_rows(name, content)
        drafts: list[tuple[int, ResultDraft]] = []
        for line in rows:
            try:
                drafts.append((line.number, _upload.draft_of(line)))
            except _upload.CellError as exc:
                errors.append(_upload.row_error(line.number, exc))
        with self._uow(ctx) as uow:
            who, row = self._locked(uow, by, round_id)
            lab = _submissions.submitting_lab(uow, by, row)
            preparer = _submissions.Preparer(uow.session, row, lab)
            prepared = []
            for number, draft in drafts:
                try:
                    prepared.append(preparer.prepare(draft))
                except CaveatError as exc:
                    errors.append(_upload.row_error(number, exc))
            if errors:
                raise _upload.refused(sorted(errors, key=lambda e: (e.row, e.column)), name=name)
            source = {"via": "file", "name": name, "sha256": hashlib.sha256(content).hexdigest()}
            stored = _submissions.store_in(
                uow,
                by,
                self._catalogue,
                row,
                lab,
                prepared,
                marked or _rounds.round_label(row, self._policy),
                source=source,
            )
            return self._views(uow.session, who, row, [s.id for s in stored], preparer.unit)

    def _views(
        self, session: Session, who: Viewer, row: RoundRow, ids: list[str], unit: str
    ) -> list[Submission]:
        wanted = set(ids)
        return [
            _submissions.submission_view(session, who, row, entry, unit)
            for entry in _submissions.stored(session, row)
            if entry.submission.id in wanted
        ]

    def submissions(self, by: Principal, ctx: CallContext, round_id: str) -> list[Submission]:
        """The round's results the caller may read: their own laboratory's, and the
        others' once the round is closed (the coordinator's: all), under codes."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            row = visible_round(session, who, round_id)
            unit = _rounds.round_view(session, row, self._policy, who).unit or ""
            entries, _ = _submissions.readable(session, who, row)
            views = [_submissions.submission_view(session, who, row, e, unit) for e in entries]
        self._record_read(by, ctx, round_id, [v.id for v in views if not v.own])
        return views

    def _record_read(self, by: Principal, ctx: CallContext, round_id: str, ids: list[str]) -> None:
        if not ids:
            return
        with self._uow(ctx) as uow:
            uow.record(
                "proficiency.results_read",
                by.actor(),
                target_id=round_id,
                data={"submissions": ids},
            )

    # -- closing and results --------------------------------------------------------

    def close(self, by: Principal, ctx: CallContext, round_id: str) -> RoundResults:
        """Close the round (its coordinator): every item scored with the round's method
        choices, stored, and one ledger event; other laboratories' results stop being
        blind."""
        with self._uow(ctx) as uow:
            who, row = self._locked(uow, by, round_id)
            authorize(
                by,
                Act.PROFICIENCY_ROUND_CLOSE,
                Target(round_coordinator=row.coordinator_id),
                now=uow.now,
            )
            require_move(ROUND, "close", RoundStatus(row.status), subject=f"round {row.title!r}")
            if self._is_precision_study(row):
                data = self._close_precision_study(uow, row)
            else:
                data = _evaluation.close_in(uow, row, _rounds.items_of(uow.session, row.id))
            data.update(self._closing_records(uow, row))
            row.status = RoundStatus.CLOSED.value
            row.closed_at = uow.now
            uow.record("proficiency.round_closed", by.actor(), target_id=row.id, data=data)
            uow.session.flush()
            return RoundResults(
                _rounds.round_view(uow.session, row, self._policy, who),
                _evaluation.item_results(uow.session, who, row),
                (),
            )

    def cancel(self, by: Principal, ctx: CallContext, round_id: str, *, reason: str) -> Round:
        """Cancel an open round (its coordinator); nothing is scored."""
        with self._uow(ctx) as uow:
            who, row = self._locked(uow, by, round_id)
            authorize(
                by,
                Act.PROFICIENCY_ROUND_CLOSE,
                Target(round_coordinator=row.coordinator_id),
                now=uow.now,
            )
            require_move(ROUND, "cancel", RoundStatus(row.status), subject=f"round {row.title!r}")
            why = reason.strip()[:2000]
            if not why:
                from caveat.domain.errors import InvalidInput

                raise InvalidInput(
                    "say why the round is cancelled", code="invalid_input", field="reason"
                )
            row.status = RoundStatus.CANCELLED.value
            row.closed_at = uow.now
            uow.record(
                "proficiency.round_cancelled", by.actor(), target_id=row.id, data={"reason": why}
            )
            return _rounds.round_view(uow.session, row, self._policy, who)

    def results(
        self, by: Principal, ctx: CallContext, round_id: str, *, plots: bool = False
    ) -> RoundResults:
        """The round with what closing it computed and the scores the caller may read
        (nothing before it is closed); with ``plots``, each item's plots as SVG."""
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            row = visible_round(session, who, round_id)
            shown = _rounds.round_view(session, row, self._policy, who)
            items = _evaluation.item_results(session, who, row)
            control = _charts.control_of(session, who, row) if plots and items else None
        drawn = tuple(self._draw(shown, item) for item in items) if plots else ()
        self._record_read(
            by, ctx, round_id, [s.submission_id for i in items for s in i.scores if not s.own]
        )
        if control is None:
            return RoundResults(shown, items, drawn)
        for other, ids in control.read.items():
            if other != round_id:
                self._record_read(by, ctx, other, ids)
        pairs, charts = _charts.draw(self._plots, shown, items, control)
        return RoundResults(shown, items, drawn, pairs, charts)

    def _draw(self, shown: Round, item: ItemResults) -> Plots:
        scores = item.scores
        labels = [s.laboratory for s in scores]
        unit = shown.unit or ""
        title = f"{shown.title}: {item.item}"
        results = self._plots.results(
            title=title,
            unit=unit,
            labels=labels,
            values=[s.value for s in scores],
            expanded=[s.expanded_uncertainty for s in scores],
            assigned=item.assigned_value,
            assigned_expanded=DEFAULT_COVERAGE * item.assigned_uncertainty,
        )
        m = shown.methods
        series: list[tuple[str, Sequence[float | None], float, float]] = [
            ("z", [s.z for s in scores], m.warning_limit, m.action_limit)
        ]
        if any(s.zeta is not None for s in scores):
            series.append(("ζ", [s.zeta for s in scores], m.warning_limit, m.action_limit))
        if any(s.en is not None for s in scores):
            series.append(("En", [s.en for s in scores], m.en_limit, m.en_limit))
        drawn_scores = self._plots.scores(title=f"{title}, scores", labels=labels, series=series)
        mandel = None
        h = [s.mandel_h for s in scores]
        if item.mandel_h_critical is not None and scores and all(v is not None for v in h):
            k = [s.mandel_k for s in scores]
            has_k = item.mandel_k_critical is not None and all(v is not None for v in k)
            mandel = self._plots.mandel(
                title=f"{title}, Mandel's statistics",
                labels=labels,
                h=[float(v or 0.0) for v in h],
                h_critical=item.mandel_h_critical,
                k=[float(v or 0.0) for v in k] if has_k else None,
                k_critical=item.mandel_k_critical if has_k else None,
            )
        density = _charts.density_of(item)
        drawn_density = None
        if density is not None:
            drawn_density = self._plots.density(
                title=f"{title}, kernel density", unit=unit, data=density
            )
        return Plots(item.item_id, item.item, results, drawn_scores, mandel, drawn_density)

    # -- reports --------------------------------------------------------------------

    def report(
        self, by: Principal, ctx: CallContext, round_id: str, *, laboratory: str | None = None
    ) -> ProficiencyReport:
        """The round's report (or one laboratory's, by its code) as data, from what
        closing the round stored and under the round page's access decisions: a blind
        round's only for its coordinator (else ``report_not_available``), other
        laboratories under codes unless the round reveals them. Reading other
        laboratories' results through it is recorded as any read of them."""
        report, reads = self._report(by, round_id, laboratory)
        self._record_reads(by, ctx, reads)
        return report

    def _report(
        self, by: Principal, round_id: str, laboratory: str | None
    ) -> tuple[ProficiencyReport, dict[str, list[str]]]:
        authorize(by, Act.PROFICIENCY_READ)
        with self._uow.read() as session:
            who = self._viewer(session, by)
            row = visible_round(session, who, round_id)
            shown = _rounds.round_view(session, row, self._policy, who)
            return _reports.build(
                session, who, row, shown, laboratory=laboratory, now=self._uow.clock()
            )

    def _record_reads(self, by: Principal, ctx: CallContext, reads: dict[str, list[str]]) -> None:
        for read_round, ids in reads.items():
            self._record_read(by, ctx, read_round, ids)

    def report_document(
        self,
        by: Principal,
        ctx: CallContext,
        round_id: str,
        *,
        fmt: str,
        marking: Callable[[ProficiencyReport], str],
        laboratory: str | None = None,
    ) -> bytes:
        """The report as a document: ``fmt`` "pdf" or "html" (UTF-8), ``marking`` giving
        the line every page is marked with for the report's content, as the reader
        reads it (the roll-up of ``report.labels``)."""
        if fmt not in ("pdf", "html"):
            from caveat.domain.errors import InvalidInput

            raise InvalidInput(
                f"no report format {fmt!r}: pdf or html", code="invalid_input", field="format"
            )
        assert self._reports is not None, "the node builds the service with a report renderer"
        report, reads = self._report(by, round_id, laboratory)
        line = marking(report)  # refused (marking_incomplete): nothing handed out
        if fmt == "pdf":
            body = self._reports.pdf(report, marking=line)
        else:
            body = self._reports.html(report, marking=line).encode("utf-8")
        self._record_reads(by, ctx, reads)  # what the document reveals, once it exists
        return body
