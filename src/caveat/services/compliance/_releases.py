"""Release requests and export records (issue 6; ADR 0008).

A member asks to release a catalogued resource to further nations or organisations;
an export control officer classifies it (or confirms its entries) and names the
covering authorization, or records why it is not controlled; a security officer of
the originating organisation approves or denies. Nobody classifies or approves their
own request, and the approver is neither the requester nor the classifier. Approval
widens the label's REL TO through ``CatalogueService.relabel_in`` and writes one
immutable export record, in the same transaction, with its events.

A release widens a REL TO list, ends originator-only handling of a classified label,
or lifts NOFORN (``domain.compliance.release``); only the originating organisation's
security officer decides, which is also what ORCON asks. An artifact gets a new signed
label version and bindings (``artifacts_labelling.write_label_version``), and its
record names the content hash of its latest version.

The no-retransfer proviso is checked by machine: what an organisation received under
an authorization that forbids retransfer cannot be released further at its request.

A loosening relabel (issue 11: a lower level, fewer caveats or control entries, a wider
REL TO) is a release request too, opened by ``Labelling.relabel``; it carries the exact
label and export classification asked for (``label_json`` / ``export_json``), and its
approval applies exactly that label. Who may do what is the permission table's
(``Act.RELEASE_*``), asked through ``authorize``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from caveat.adapters.db.models.artifacts import ArtifactRow
from caveat.adapters.db.models.compliance import (
    AuthorizationEntryRow,
    AuthorizationRecipientRow,
    AuthorizationRow,
    ExportRecordRow,
    ReleaseRequestRow,
)
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.compliance import ReleaseStatus, nations, require_reason
from caveat.domain.compliance.export_report import (
    ExportReport,
    facet_counts,
    matches,
    regimes_of,
    totals_of,
)
from caveat.domain.compliance.release import lifted_by_release, released_label
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.export_control import (
    ExportClassification,
    Regime,
    export_from_canonical_json,
    parse_export_classification,
    render_control_entry,
)
from caveat.domain.labels import Label, SchemeRegistry
from caveat.domain.labels.canonical import label_from_canonical_json
from caveat.domain.lifecycle import require_move
from caveat.domain.lifecycles import RELEASE
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, label_facts
from caveat.services.artifacts import (
    Decided,
    DraftLabel,
    banner_of,
    require_retransfer_allowed,
    versions_of,
    write_label_version,
)
from caveat.services.compliance._authorizations import effective_status, find_authorization
from caveat.services.compliance._export_report import (
    ExportRecord,
    build_report,
    export_event_data,
)
from caveat.services.compliance._notices import release_decided
from caveat.services.identity import find_person
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.ports import ReportRenderer
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.records import canonical, find_organisation, loads, new_id
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import csv_cell
from caveat.services.policy import (
    CatalogueService,
    PolicyService,
    find_resource,
    refuse_received,
)

RETENTION_YEARS = 5  # export records are kept at least 5 years after the authorization ends
# Requests still waiting for someone: every state a move leaves from.
_OPEN = tuple(s for s in RELEASE.states if not RELEASE.is_terminal(s))


@dataclass(frozen=True, slots=True)
class Release:
    """A release request as services hand it out."""

    id: str
    resource_id: str
    requested_by: str
    requested_at: datetime
    nations: tuple[str, ...]
    organisations: tuple[str, ...]
    justification: str
    status: str
    controls: tuple[str, ...] | None
    dual_use: bool
    dual_use_review: str
    not_controlled_reason: str
    authorization_id: str | None
    classified_by: str | None
    decided_by: str | None
    decision_reason: str
    classified_at: datetime | None = None
    decided_at: datetime | None = None
    # A loosening relabel: the exact marking and control entries asked for (else None).
    label: str | None = None
    label_export: tuple[str, ...] | None = None
    label_dual_use: bool | None = None


def _release(row: ReleaseRequestRow, schemes: SchemeRegistry | None = None) -> Release:
    controls = loads(row.controls_json)
    banner = asked = asked_dual = None
    if row.label_json is not None:
        banner = banner_of(
            label_from_canonical_json(row.label_json.encode(), schemes=schemes, check_rules=False),
            schemes,
        )
    if row.export_json is not None:
        export = export_from_canonical_json(row.export_json.encode())
        asked = tuple(render_control_entry(e) for e in export.entries)
        asked_dual = export.dual_use
    return Release(
        row.id,
        row.resource_id,
        row.requested_by,
        row.requested_at,
        tuple(loads(row.nations_json)),
        tuple(loads(row.organisations_json)),
        row.justification,
        row.status,
        None if controls is None else tuple(controls),
        row.dual_use,
        row.dual_use_review,
        row.not_controlled_reason,
        row.authorization_id,
        row.classified_by,
        row.decided_by,
        row.decision_reason,
        row.classified_at,
        row.decided_at,
        banner,
        asked,
        asked_dual,
    )


def _record(row: ExportRecordRow) -> ExportRecord:
    recipients = loads(row.recipients_json)
    return ExportRecord(
        row.id,
        row.release_request_id,
        row.resource_id,
        row.label_sha256,
        row.content_sha256,
        tuple(loads(row.controls_json)),
        tuple(recipients["nations"]),
        tuple(recipients["organisations"]),
        row.authorization_id,
        row.authorization_number,
        row.requested_by,
        row.approved_by,
        row.released_at,
        row.retain_until,
    )


def _person(by: Acting, action: str) -> Principal:
    """Releases are decisions of named people: the console takes no part (the
    permission table already refuses it; this narrows the type)."""
    if not isinstance(by, Principal):
        raise PermissionDenied(
            f"{action} is a named person's decision, not the console's",
            code="person_required",
            hint="sign in as the person who decides (`caveat login`)",
        )
    return by


def _of(row: ReleaseRequestRow) -> str:
    return f"release request {row.id}"


def _target(row: ReleaseRequestRow, resource: ResourceRow | None = None) -> Target:
    """The permission rules' view of a release request (and its resource)."""
    return Target(
        originator_org_id=None if resource is None else resource.originator_org_id,
        requested_by=row.requested_by,
    )


def _controlled(export: ExportClassification) -> tuple[str, ...]:
    """The entries that need an authorization (EAR99 is exempt)."""
    return tuple(
        render_control_entry(e)
        for e in export.entries
        if not (e.regime is Regime.EAR and e.code == "EAR99")
    )


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class ReleaseService:
    """The release workflow and the export records it leaves."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        catalogue: CatalogueService,
        policy: PolicyService,
        signing_key: Callable[[], Ed25519PrivateKey],
        reports: ReportRenderer,
    ) -> None:
        self._uow = uow
        self._catalogue = catalogue
        self._policy = policy
        self._signing_key = signing_key
        self._reports = reports

    def request(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        resource: str,
        to_nations: Sequence[str] = (),
        to_organisations: Sequence[str] = (),
        justification: str,
    ) -> Release:
        """Ask for a resource the requester may read to be released to further parties."""
        authorize(by, Act.RELEASE_REQUEST)
        principal = _person(by, "requesting a release")
        justification = require_reason(justification, field="justification")
        with self._uow(ctx) as uow:
            row = self._readable(uow, principal, resource)
            refuse_received(uow.session, row.id, "release")
            label = self._releasable_label(uow, row)
            require_retransfer_allowed(
                uow.session, row.id, principal.person.organisation_id, principal.organisation_nation
            )
            codes = list(nations(to_nations))
            orgs = [find_organisation(uow.session, o) for o in to_organisations]
            if not codes and not orgs:
                raise InvalidInput(
                    "a release names the nations or organisations it is for",
                    code="release_recipients_required",
                    field="nations",
                )
            # The originating nation always holds its own resource: naming it alone
            # releases nothing (and would leave a REL TO list with no foreign nation).
            own = {row.originator_nation} if row.originator_nation else set()
            already = (label.releasable_to or frozenset()) | own
            wanted = set(codes) | {o.nation for o in orgs}
            if wanted <= already and not orgs:
                raise Conflict(
                    "the resource is already releasable to every nation named",
                    code="already_releasable",
                )
            request = ReleaseRequestRow(
                id=new_id(),
                resource_id=row.id,
                requested_by=principal.person_id,
                requested_at=uow.now,
                nations_json=canonical(sorted(set(codes))),
                organisations_json=canonical(sorted({o.id for o in orgs})),
                justification=justification,
                status=RELEASE.initial.value,
                controls_json=None,
                dual_use=False,
                dual_use_review="",
                not_controlled_reason="",
                decision_reason="",
            )
            uow.session.add(request)
            uow.record(
                "release.requested",
                principal.actor(),
                target_id=request.id,
                data={
                    "resource_id": row.id,
                    "nations": loads(request.nations_json),
                    "organisations": loads(request.organisations_json),
                    "justification": justification,
                    "lifts": lifted_by_release(label).value,
                    "label": None,
                    "export": None,
                },
            )
            return _release(request, self._policy.schemes)

    def classify(
        self,
        by: Acting,
        ctx: CallContext,
        request_id: str,
        *,
        controls: Sequence[str] | None = None,
        dual_use: bool | None = None,
        authorization: str | None = None,
        not_controlled_reason: str = "",
        dual_use_review: str = "",
    ) -> Release:
        """The export control officer's classification (``controls`` None: confirm the
        resource's entries, or for a loosening relabel the entries it asks for) with the
        covering authorization, or why none is needed. Nobody classifies their own request."""
        with self._uow(ctx) as uow:
            row = self._request_row(uow, request_id)
            authorize(by, Act.RELEASE_CLASSIFY, _target(row), now=uow.now)
            principal = _person(by, "classifying a release")
            resource = find_resource(uow.session, row.resource_id)
            # An officer never learns a label or its entries through someone else.
            seen = self._policy.decide_row(
                uow.session, principal, Action.DISCOVER, resource, uow.now
            )
            if not seen.permitted:
                raise NotFound(f"no release request {request_id!r}", code="unknown_release")
            classify = require_move(
                RELEASE, "classify", ReleaseStatus(row.status), subject=_of(row)
            )
            current = export_from_canonical_json((row.export_json or resource.export_json).encode())
            export = (
                current
                if controls is None
                else parse_export_classification(
                    controls, dual_use=current.dual_use if dual_use is None else dual_use
                )
            )
            if controls is None and dual_use is not None:
                export = ExportClassification(current.entries, dual_use)
            controlled = _controlled(export)
            auth: AuthorizationRow | None = None
            if controlled:
                if authorization is None:
                    raise InvalidInput(
                        "controlled entries need the authorization that covers the release",
                        code="authorization_required",
                        field="authorization",
                    )
                auth = find_authorization(uow.session, authorization)
                self._require_covering(uow, auth, resource, controlled, row)
                not_controlled_reason = ""
            else:
                if authorization is not None:
                    raise InvalidInput(
                        "an uncontrolled release names no authorization",
                        code="authorization_not_needed",
                        field="authorization",
                    )
                not_controlled_reason = require_reason(
                    not_controlled_reason, field="not_controlled_reason"
                )
            if controlled and row.label_json is not None:
                asked = label_from_canonical_json(
                    row.label_json.encode(), schemes=self._policy.schemes, check_rules=False
                )
                if label_facts(asked, self._policy.schemes).rel_mode == "open":
                    raise InvalidInput(
                        "controlled entries cannot be released to every nation: name the "
                        "nations in the label, or classify it as not controlled",
                        code="authorization_not_covering",
                        field="controls",
                    )
            review = dual_use_review.strip()
            if export.dual_use and len(review) < 3:
                raise InvalidInput(
                    "a dual-use item needs a recorded dual-use review",
                    code="dual_use_review_required",
                    field="dual_use_review",
                )
            row.controls_json = canonical([render_control_entry(e) for e in export.entries])
            row.dual_use = export.dual_use
            row.dual_use_review = review
            row.not_controlled_reason = not_controlled_reason
            row.authorization_id = None if auth is None else auth.id
            row.classified_by, row.classified_at = principal.person_id, uow.now
            row.status = classify.to.value
            uow.record(
                "release.classified",
                principal.actor(),
                target_id=row.id,
                data={
                    "controls": loads(row.controls_json),
                    "dual_use": row.dual_use,
                    "dual_use_review": review,
                    "authorization_id": row.authorization_id,
                    "not_controlled_reason": not_controlled_reason,
                },
            )
            return _release(row, self._policy.schemes)

    def decide(
        self, by: Acting, ctx: CallContext, request_id: str, *, approve: bool, reason: str
    ) -> Release:
        """The originating organisation's security officer approves (new label and an
        export record) or denies; nobody decides a request they made or classified."""
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = self._request_row(uow, request_id)
            resource = find_resource(uow.session, row.resource_id)
            authorize(by, Act.RELEASE_DECIDE, _target(row, resource), now=uow.now)
            principal = _person(by, "deciding a release")
            if principal.person_id == row.classified_by:
                raise PermissionDenied(
                    "nobody decides a release they classified (release.decide needs: "
                    "not who classified it)",
                    code="self_change",
                    data={"action": Act.RELEASE_DECIDE.value, "rule": "not who classified it"},
                )
            verb = "approve" if approve else "deny"
            move = require_move(RELEASE, verb, ReleaseStatus(row.status), subject=_of(row))
            row.status = move.to.value
            row.decided_by, row.decided_at, row.decision_reason = (
                principal.person_id,
                uow.now,
                reason,
            )
            if approve:
                requester = find_person(uow.session, row.requested_by)
                require_retransfer_allowed(
                    uow.session,
                    resource.id,
                    requester.organisation_id,
                    requester.organisation.nation,
                )
            uow.record(
                "release.decided",
                principal.actor(),
                target_id=row.id,
                data={"approved": approve, "reason": reason},
            )
            release_decided(uow, row, approved=approve)  # the requester, same transaction
            if approve:
                self._release(uow, principal, row, resource)
            return _release(row, self._policy.schemes)

    def requests(self, by: Acting) -> list[Release]:
        """Officers and auditors see every request; anyone else their own."""
        with self._uow.read() as session:
            query = select(ReleaseRequestRow).order_by(
                ReleaseRequestRow.requested_at, ReleaseRequestRow.id
            )
            if not allowed(by, Act.RELEASE_OVERSEE) and isinstance(by, Principal):
                query = query.where(ReleaseRequestRow.requested_by == by.person_id)
            return [_release(r, self._policy.schemes) for r in session.scalars(query)]

    def awaiting(self, by: Principal) -> list[Release]:
        """Requests waiting for ``by``: pending ones to classify (export control officers
        who may discover the resource) and classified ones to decide (security officers of
        the originating organisation); never a request they made or classified."""
        with self._uow.read() as session:
            now = self._uow.clock()
            rows = session.scalars(
                select(ReleaseRequestRow)
                .where(ReleaseRequestRow.status.in_([s.value for s in _OPEN]))
                .order_by(ReleaseRequestRow.requested_at, ReleaseRequestRow.id)
            )
            waiting = []
            for row in rows:
                if by.person_id in (row.requested_by, row.classified_by):
                    continue
                resource = find_resource(session, row.resource_id)
                if RELEASE.allows("classify", ReleaseStatus(row.status)):
                    turn = (
                        allowed(by, Act.RELEASE_CLASSIFY, _target(row), now=now)
                        and self._policy.decide_row(
                            session, by, Action.DISCOVER, resource, now
                        ).permitted
                    )
                else:
                    turn = allowed(by, Act.RELEASE_DECIDE, _target(row, resource), now=now)
                if turn:
                    waiting.append(_release(row, self._policy.schemes))
            return waiting

    def export_records(
        self,
        by: Acting,
        *,
        authorization: str | None = None,
        since: date | None = None,
        until: date | None = None,
        regime: str | None = None,
        destination: str | None = None,
    ) -> list[ExportRecord]:
        """Export records (officers and auditors), per authorization and period, under
        a regime ("none": records without entries) and to a destination (a nation code
        or an organisation id)."""
        authorize(by, Act.RELEASE_OVERSEE)
        with self._uow.read() as session:
            query = select(ExportRecordRow).order_by(
                ExportRecordRow.released_at, ExportRecordRow.id
            )
            if authorization is not None:
                auth = find_authorization(session, authorization)
                query = query.where(ExportRecordRow.authorization_id == auth.id)
            rows = [
                r
                for r in session.scalars(query)
                if (since is None or r.released_at.date() >= since)
                and (until is None or r.released_at.date() <= until)
            ]
            records = [_record(r) for r in rows]
        return [
            r
            for r in records
            if (regime is None or regime in regimes_of(r.controls))
            and (destination is None or destination in r.nations + r.organisations)
        ]

    def export_report(
        self,
        by: Acting,
        *,
        authorization: str | None = None,
        since: date | None = None,
        until: date | None = None,
        regime: str | None = None,
        destination: str | None = None,
    ) -> ExportReport:
        """The readable report: names, totals per authorization, each record checked
        against its ledger event, counts per regime and destination. A resource is
        named only if the reader may discover it."""
        records = self.export_records(by, authorization=authorization, since=since, until=until)
        with self._uow.read() as session:
            wanted = {r.resource_id for r in records}
            seen = self._policy.discoverable_in(session, by, wanted, self._uow.clock())
            titles = dict(
                session.execute(
                    select(ResourceRow.id, ResourceRow.title).where(
                        ResourceRow.id.in_(sorted(seen))
                    )
                ).all()
            )
            whole = build_report(
                session,
                records,
                generated_at=self._uow.clock(),
                authorization=authorization,
                since=since,
                until=until,
                titles=titles,
            )
        lines = tuple(
            line for line in whole.lines if matches(line, regime=regime, destination=destination)
        )
        return replace(
            whole,
            lines=lines,
            totals=totals_of(lines),
            facets=facet_counts(whole.lines, regime=regime, destination=destination),
            regime=regime,
            destination=destination,
        )

    def export_report_pdf(
        self,
        by: Acting,
        *,
        node_name: str,
        marking: Callable[[ExportReport], str],
        authorization: str | None = None,
        since: date | None = None,
        until: date | None = None,
        regime: str | None = None,
        destination: str | None = None,
    ) -> bytes:
        """The report as a PDF for inspectors and the file; ``marking`` gives the line
        each page is marked with for the report's content, as the reader reads it."""
        report = self.export_report(
            by,
            authorization=authorization,
            since=since,
            until=until,
            regime=regime,
            destination=destination,
        )
        return self._reports.export_records(report, node_name=node_name, marking=marking(report))

    def export_records_csv(
        self,
        by: Acting,
        *,
        authorization: str | None = None,
        since: date | None = None,
        until: date | None = None,
        regime: str | None = None,
        destination: str | None = None,
    ) -> str:
        """The export-records report as CSV (one line per record): the ids, and the
        names a person reads (the resource's title only if the reader may discover it)."""
        report = self.export_report(
            by,
            authorization=authorization,
            since=since,
            until=until,
            regime=regime,
            destination=destination,
        )
        records = {
            r.id: r
            for r in self.export_records(by, authorization=authorization, since=since, until=until)
        }
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(
            [
                "released_at",
                "record_id",
                "release_request_id",
                "resource_id",
                "label_sha256",
                "content_sha256",
                "controls",
                "nations",
                "organisations",
                "authorization_number",
                "requested_by",
                "approved_by",
                "retain_until",
                "resource_title",
                "recipient_names",
                "requested_by_name",
                "approved_by_name",
            ]
        )
        for line in report.lines:
            r = records[line.record_id]
            writer.writerow(
                csv_cell(v)
                for v in [
                    r.released_at.isoformat(),
                    r.id,
                    r.release_request_id,
                    r.resource_id,
                    r.label_sha256,
                    r.content_sha256 or "",
                    " ".join(r.controls),
                    " ".join(r.nations),
                    " ".join(r.organisations),
                    r.authorization_number or "",
                    r.requested_by,
                    r.approved_by,
                    r.retain_until.isoformat(),
                    line.resource_title or "[not shown to you]",
                    "; ".join(line.recipients),
                    line.requested_by,
                    line.approved_by,
                ]
            )
        return buffer.getvalue()

    # helpers

    def _readable(self, uow: UnitOfWork, principal: Principal, ref: str) -> ResourceRow:
        try:
            row = find_resource(uow.session, ref)
        except NotFound:
            row = None
        if row is not None:
            decision = self._policy.decide_row(uow.session, principal, Action.READ, row, uow.now)
            if decision.permitted:
                return row
        raise NotFound(f"no resource {ref!r}", code="unknown_resource")

    @staticmethod
    def _releasable_label(uow: UnitOfWork, row: ResourceRow) -> Label:
        if row.label_json is None or row.rel_mode == "open":
            raise Conflict(
                "the resource is unclassified and not restricted to any nation",
                code="already_releasable",
            )
        return label_from_canonical_json(row.label_json.encode(), check_rules=False)

    @staticmethod
    def _request_row(uow: UnitOfWork, request_id: str) -> ReleaseRequestRow:
        row = uow.session.get(ReleaseRequestRow, request_id)
        if row is None:
            raise NotFound(f"no release request {request_id!r}", code="unknown_release")
        return row

    @staticmethod
    def _require_covering(
        uow: UnitOfWork,
        auth: AuthorizationRow,
        resource: ResourceRow,
        controlled: Sequence[str],
        row: ReleaseRequestRow,
    ) -> None:
        """The authorization is in force, covers every entry, every recipient, the level."""
        session = uow.session
        status = effective_status(auth, uow.now.date())
        if status != "active":
            raise Conflict(
                f"authorization {auth.number} is {status}", code="authorization_not_in_force"
            )
        entries = set(
            session.scalars(
                select(AuthorizationEntryRow.entry).where(
                    AuthorizationEntryRow.authorization_id == auth.id
                )
            )
        )
        missing = sorted(set(controlled) - entries)
        if missing:
            raise InvalidInput(
                f"authorization {auth.number} does not cover {', '.join(missing)}",
                code="authorization_not_covering",
                field="authorization",
            )
        recipients = {
            (kind, ref)
            for kind, ref in session.execute(
                select(AuthorizationRecipientRow.kind, AuthorizationRecipientRow.ref).where(
                    AuthorizationRecipientRow.authorization_id == auth.id
                )
            ).all()
        }
        uncovered = [n for n in loads(row.nations_json) if ("nation", n) not in recipients]
        for org_id in loads(row.organisations_json):
            org = find_organisation(session, org_id)
            if ("organisation", org.id) not in recipients and (
                "nation",
                org.nation,
            ) not in recipients:
                uncovered.append(org.name)
        if uncovered:
            raise InvalidInput(
                f"authorization {auth.number} does not name {', '.join(uncovered)} as end user",
                code="authorization_not_covering",
                field="authorization",
            )
        level = resource.common_level or 0
        if auth.max_common_level is not None and level > auth.max_common_level:
            raise InvalidInput(
                f"authorization {auth.number} allows up to level {auth.max_common_level}",
                code="authorization_proviso",
                field="authorization",
            )

    def _release(
        self, uow: UnitOfWork, principal: Principal, row: ReleaseRequestRow, resource: ResourceRow
    ) -> None:
        """The new label through the catalogue and the export record, in ``uow``: the
        label a loosening relabel asked for exactly, else the current one with its REL TO
        widened to the recipients."""
        controls = tuple(loads(row.controls_json) or [])
        export = parse_export_classification(controls, dual_use=row.dual_use)
        auth: AuthorizationRow | None = None
        if row.authorization_id is not None:
            # Fail closed: the authorization must still cover the release on approval.
            auth = find_authorization(uow.session, row.authorization_id)
            self._require_covering(uow, auth, resource, _controlled(export), row)
        if row.label_json is not None:
            widened = label_from_canonical_json(
                row.label_json.encode(), schemes=self._policy.schemes, check_rules=False
            )
        else:
            label = self._releasable_label(uow, resource)
            added = set(loads(row.nations_json))
            for org_id in loads(row.organisations_json):
                added.add(find_organisation(uow.session, org_id).nation)
            originator = resource.originator_nation or (
                label.originator.nation if label.originator else principal.organisation_nation
            )
            widened = released_label(label, originator, added)
        decided = Decided(Act.RELEASE_DECIDE, row.requested_by)
        artifact = uow.session.get(ArtifactRow, resource.id)
        content_sha256: str | None = None
        if artifact is None:
            self._catalogue.apply_decided(
                uow,
                principal,
                resource.id,
                act=decided.act,
                requested_by=decided.requested_by,
                label=widened,
                export=export,
            )
        else:
            # An artifact: a new signed label version and bindings for every content version.
            widened = replace(widened, created_at=uow.now)
            draft = DraftLabel(widened, export, banner_of(widened, self._policy.schemes))
            write_label_version(
                uow,
                self._catalogue,
                self._signing_key,
                principal,
                artifact,
                draft,
                reason=f"release {row.id} approved: {row.decision_reason}",
                decided=decided,
            )
            versions = versions_of(uow.session, artifact.id)
            content_sha256 = versions[-1].sha256.hex() if versions else None
        uow.session.flush()
        new_label = find_resource(uow.session, resource.id).label_json or ""
        ends = uow.now.date() if auth is None or auth.valid_to is None else auth.valid_to
        record = ExportRecordRow(
            id=new_id(),
            release_request_id=row.id,
            resource_id=resource.id,
            label_sha256=hashlib.sha256(new_label.encode()).hexdigest(),
            content_sha256=content_sha256,
            controls_json=canonical(list(controls)),
            recipients_json=canonical(
                {
                    "nations": loads(row.nations_json),
                    "organisations": loads(row.organisations_json),
                }
            ),
            authorization_id=None if auth is None else auth.id,
            authorization_number=None if auth is None else auth.number,
            requested_by=row.requested_by,
            approved_by=principal.person_id,
            released_at=uow.now,
            retain_until=_add_years(max(ends, uow.now.date()), RETENTION_YEARS),
        )
        uow.session.add(record)
        uow.record(
            "export.recorded",
            principal.actor(),
            target_id=record.id,
            data=export_event_data(_record(record)),
        )
