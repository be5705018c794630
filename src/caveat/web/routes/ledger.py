"""The ledger explorer for auditors and security officers.

Search events (and export them as CSV); open an entry and check its inclusion proof
against the latest signed checkpoint here, step by step, with the domain's RFC 9162
verifier (the page does not take the server's word for it: it recomputes the leaf hash
from the entry's bytes, checks the checkpoint's signature with the log key and every
known witness key, and walks the proof to the signed root); the same for a consistency
proof between two tree sizes; the latest checkpoints, each with its signatures checked;
the witnesses and asking them to cosign; a full verification on demand; conduct alerts
and their acknowledgement.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from caveat.bootstrap.marking import events_csv_labels, export_marking, mark_csv
from caveat.domain.errors import (
    CaveatError,
    ErrorKind,
    InvalidInput,
    NotFound,
)
from caveat.domain.events import Outcome
from caveat.domain.identity import Role
from caveat.domain.ledger import (
    CheckpointError,
    NoteVerificationError,
    ProofError,
    VerifiedCheckpoint,
    leaf_hash,
    open_checkpoint,
    open_note,
    verifier_from_vkey,
    verify_consistency,
    verify_inclusion,
)
from caveat.domain.ledger.note import NoteVerifier, cosignature_timestamp
from caveat.domain.permissions import Act
from caveat.services.kernel.authorize import allowed
from caveat.services.ledger import (
    EVENT_FACETS,
    EVENT_SORTS,
    WITHHELD,
    AlertStatus,
    ConsistencyProof,
    EventFilter,
    StoredCheckpoint,
    WitnessOutcome,
    b64,
)
from caveat.web import forms, ledger_chart, tables
from caveat.web.labelling import labels_in
from caveat.web.names import Names
from caveat.web.pages import PageContext, render
from caveat.web.session import ctx_of, node_of, permission_gate

router = APIRouter(prefix="/ledger", include_in_schema=False)
PAGE_SIZE = 50


ledger_reader = permission_gate(
    Act.AUDIT_READ, "the ledger explorer is for auditors and security officers"
)
ReaderPage = Annotated[PageContext, Depends(ledger_reader)]


def _status(request: Request) -> dict[str, Any]:
    node = node_of(request)
    return {"latest": node.ledger.latest_checkpoint(), "pending": node.ledger.pending()}


def _event_form(**values: str) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items()}


def _event_filter(form: dict[str, str]) -> EventFilter:
    """The audit filter of the search form (InvalidInput for a malformed date)."""
    end = forms.start_of_day(form["until"], "until")
    outcome = form["outcome"]
    return EventFilter(
        actor=form["actor"] or None,
        target_type=form["target_type"] or None,
        target_id=form["target_id"] or None,
        action=form["action"] or None,
        outcome=Outcome(outcome) if outcome in {o.value for o in Outcome} else None,
        since=forms.start_of_day(form["since"], "since"),
        until=None if end is None else end + timedelta(days=1),
        actor_kind=form.get("actor_kind") or None,
        day=forms.optional_date(form.get("day", ""), "day"),
    )


FACET_TITLES = {"type": "Event type", "actor_kind": "Actor kind", "day": "Day (UTC)"}
FACET_PARAMS = {"type": "action", "actor_kind": "actor_kind", "day": "day"}


@router.get("")
def events(
    request: Request,
    page: ReaderPage,
    actor: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    outcome: Annotated[str, Query(max_length=16)] = "",
    target_type: Annotated[str, Query(max_length=40)] = "",
    target_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    actor_kind: Annotated[str, Query(max_length=16)] = "",
    day: Annotated[str, Query(max_length=10)] = "",
    sort: Annotated[str, Query(max_length=16)] = "",
    dir: Annotated[str, Query(max_length=4)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Search the event log: sortable columns, a total, numbered pages, facet counts, and
    the timeline of the matching events."""
    node = node_of(request)
    assert page.principal is not None
    form = _event_form(
        actor=actor,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        actor_kind=actor_kind,
        day=day,
    )
    entries: list[Any] = []
    error, status = None, 200
    state = tables.TableState("/ledger", form, "seq", "desc", "seq")
    activity = None
    try:
        chosen, direction = tables.sort_of(sort, dir, EVENT_SORTS, "seq")
        state = replace(state, sort=chosen, direction=direction)
        wanted = _event_filter(form)
        found = node.audit.table(
            page.principal,
            wanted,
            sort=chosen,
            descending=direction == tables.DESCENDING,
            page=page_number,
            limit=PAGE_SIZE,
        )
        # The timeline counts the same filter's rows for the same reader as the listing.
        activity = ledger_chart.draw(node.audit.activity(page.principal, wanted))
    except InvalidInput as exc:
        error, status = exc.detail, 422
    else:
        entries = found.entries
        state = replace(
            state,
            page=found.page,
            pages=found.pages,
            total=found.total,
            total_exact=found.total_exact,
            facets=tuple(
                tables.FacetGroup(
                    FACET_PARAMS[facet],
                    FACET_TITLES[facet],
                    tuple(tables.Facet(f.value, f.value, f.count) for f in found.facets[facet]),
                )
                for facet in EVENT_FACETS
            ),
        )
    names = Names(node, page.principal)
    for kind in ("artifact", "resource"):  # one read each, not one per row
        names.prefetch(
            (e.target_id for e in entries if e.target_type == kind and e.target_id),
            artifact=kind == "artifact",
        )
    return render(
        request,
        "ledger_events.html",
        page,
        status=status,
        form=form,
        outcomes=[o.value for o in Outcome],
        entries=entries,
        targets={e.id: names.target(e.target_type, e.target_id) for e in entries},
        table=state,
        activity=activity,
        error=error,
        **_status(request),
    )


@router.post("/events.csv", response_model=None)
def events_csv(
    request: Request,
    page: ReaderPage,
    actor: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=64)] = "",
    outcome: Annotated[str, Form(max_length=16)] = "",
    target_type: Annotated[str, Form(max_length=40)] = "",
    target_id: Annotated[str, Form(max_length=64)] = "",
    since: Annotated[str, Form(max_length=10)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
    actor_kind: Annotated[str, Form(max_length=16)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Every matching event, oldest first, as CSV; the export is itself recorded.

    A form POST rather than a link: the export writes an event, and a GET must not.
    """
    assert page.principal is not None
    form = _event_form(
        actor=actor,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
        actor_kind=actor_kind,
        day=day,
    )
    node = node_of(request)
    text = node.audit.export_csv(
        page.principal, ctx_of(request), _event_filter(form), Names(node, page.principal).events
    )
    # Marked with the roll-up of the labels in the data it carries (withheld data: none).
    text = mark_csv(text, export_marking(node, page.principal, events_csv_labels(text)))
    stamp = node_of(request).uow.clock().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="caveat-events-{stamp}.csv"'},
    )


@dataclass(frozen=True, slots=True)
class Step:
    """One check of the inclusion proof, and what it found."""

    text: str
    ok: bool
    detail: str = ""


def _witness_verifiers(request: Request) -> list[NoteVerifier]:
    verifiers: list[NoteVerifier] = []
    for witness in node_of(request).witnesses.witnesses():
        try:
            verifiers.append(verifier_from_vkey(witness.vkey))
        except InvalidInput:
            continue  # a malformed witness key is a finding of the full verification
    return verifiers


@router.get("/entries/{index}")
def entry(request: Request, index: int, page: ReaderPage) -> HTMLResponse:
    """One entry, its inclusion proof in the latest checkpoint, and the checks, done here."""
    node = node_of(request)
    assert page.principal is not None
    found = node.audit.entry(page.principal, index)
    body, event = found.body, found.event
    for label in labels_in([event.get("data") or {}]):
        page.show(label)
    may_publish = allowed(page.principal, Act.CHECKPOINT_PUBLISH)
    try:
        proof = node.ledger.inclusion_proof(index)
    except InvalidInput as exc:
        if exc.code != "leaf_out_of_range":
            raise
        return render(
            request,
            "ledger_entry.html",
            page,
            index=index,
            event=event,
            body=body,
            proof=None,
            steps=[],
            verified=False,
            cosigners=[],
            note=None,
            b64=b64,
            withheld=WITHHELD if body is None else None,
            leaf=found.leaf_hash,
            may_publish=may_publish,
            **_status(request),
        )
    steps: list[Step] = []
    if body is not None:
        leaf = leaf_hash(body.encode())
        steps.append(
            Step(
                "The entry's exact bytes hash to the leaf hash of the proof",
                leaf == proof.leaf_hash,
                f"SHA-256(0x00 ‖ entry) = {b64(leaf)}",
            )
        )
    else:
        # The bytes are withheld from this reader: the node hashed its stored bytes, and
        # the page checks that hash is the proof's leaf and walks it to the signed root.
        leaf = found.leaf_hash
        steps.append(
            Step(
                "The entry's stored bytes (withheld from you) hash to the leaf hash of the proof",
                leaf == proof.leaf_hash,
                f"leaf hash {b64(leaf)}",
            )
        )
    cosigners: list[str] = []
    root = proof.root_hash
    try:
        checked = open_checkpoint(
            proof.checkpoint,
            origin=node.ledger.origin,
            log_verifier=node.ledger.verifier(),
            cosigners=_witness_verifiers(request),
        )
    except CheckpointError as exc:
        steps.append(Step("The checkpoint is signed by this log's key", False, exc.detail))
    else:
        cosigners = [sig.name for sig in checked.cosignatures]
        steps.append(
            Step(
                "The checkpoint is signed by this log's key",
                True,
                f"{node.ledger.origin}; key {node.ledger.verifier().vkey}",
            )
        )
        same = checked.checkpoint.size == proof.size and checked.checkpoint.root_hash == root
        steps.append(
            Step(
                "The proof is for the tree the checkpoint signs (size and root)",
                same,
                f"{checked.checkpoint.size} entries, root {b64(checked.checkpoint.root_hash)}",
            )
        )
        root = checked.checkpoint.root_hash
    try:
        verify_inclusion(index, proof.size, leaf, proof.proof, root)
    except (ProofError, InvalidInput) as exc:
        steps.append(
            Step("The proof's hashes lead from the leaf to the signed root", False, exc.detail)
        )
    else:
        steps.append(
            Step(
                "The proof's hashes lead from the leaf to the signed root",
                True,
                f"{len(proof.proof)} hashes (RFC 9162 §2.1.3.2)",
            )
        )
    return render(
        request,
        "ledger_entry.html",
        page,
        index=index,
        event=event,
        body=body,
        proof=proof,
        steps=steps,
        verified=all(s.ok for s in steps),
        cosigners=cosigners,
        note=proof.checkpoint,
        b64=b64,
        withheld=WITHHELD if body is None else None,
        leaf=found.leaf_hash,
        may_publish=may_publish,
        **_status(request),
    )


def _back(value: str) -> str:
    return value if value.startswith("/ledger") and "//" not in value else "/ledger/checkpoints"


@router.post("/checkpoints")
def publish(
    request: Request, page: ReaderPage, back: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Integrate pending events and publish a checkpoint now (node operators; the
    sequencer publishes on its schedule by itself)."""
    assert page.principal is not None
    checkpoint = node_of(request).ledger.publish_checkpoint(page.principal)
    return forms.done(_back(back), f"Published a checkpoint of {checkpoint.size} entries.")


@router.get("/checkpoints")
def checkpoints(
    request: Request,
    page: ReaderPage,
    below: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """The latest checkpoints with their witness cosignatures; the witnesses and keys."""
    node = node_of(request)
    found = node.ledger.checkpoints(limit=20, below=below)
    return render(
        request,
        "ledger_checkpoints.html",
        page,
        checkpoints=found,
        witnesses=node.witnesses.witnesses(),
        origin=node.ledger.origin,
        log_vkey=node.ledger.verifier().vkey,
        witness_vkey=node.witnesses.cosigner_vkey(),
        next_below=found[-1].size if len(found) == 20 else None,
        b64=b64,
        may_publish=page.principal is not None and allowed(page.principal, Act.CHECKPOINT_PUBLISH),
        **_status(request),
    )


@dataclass(frozen=True, slots=True)
class SignatureLine:
    """One signature on a checkpoint note, as the page checked it."""

    name: str
    key_id: str
    kind: str  # log | witness | unknown key
    verified: bool
    cosigned_at: datetime | None = None


def _signatures(request: Request, cp: StoredCheckpoint) -> tuple[list[SignatureLine], str | None]:
    """Every signature line of ``cp``, checked with the log key and every witness key."""
    node = node_of(request)
    log = node.ledger.verifier()
    try:
        opened = open_note(cp.note, [log, *_witness_verifiers(request)])
    except (NoteVerificationError, InvalidInput) as exc:
        return [], exc.detail
    lines = []
    for sig in opened.verified:
        is_log = (sig.name, sig.key_id) == (log.name, log.key_id)
        when = None
        if not is_log:
            when = datetime.fromtimestamp(cosignature_timestamp(sig.signature), UTC)
        lines.append(
            SignatureLine(sig.name, f"{sig.key_id:08x}", "log" if is_log else "witness", True, when)
        )
    lines += [
        SignatureLine(s.name, f"{s.key_id:08x}", "unknown key", False) for s in opened.unverified
    ]
    return lines, None


@router.get("/checkpoints/{size}")
def checkpoint(request: Request, size: int, page: ReaderPage) -> HTMLResponse:
    """One checkpoint: its note and every signature on it, checked here."""
    node = node_of(request)
    cp = node.ledger.checkpoint_at(size)
    lines, problem = _signatures(request, cp)
    latest = node.ledger.latest_checkpoint()
    return render(
        request,
        "ledger_checkpoint.html",
        page,
        cp=cp,
        lines=lines,
        problem=problem,
        b64=b64,
        newer=latest is not None and latest.size > cp.size,
        officer=page.holds(Role.SECURITY_OFFICER),
        **_status(request),
    )


@router.get("/consistency")
def consistency(
    request: Request,
    page: ReaderPage,
    old: Annotated[int | None, Query(ge=1)] = None,
    new: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Prove an older tree is a prefix of a newer checkpoint, and check the proof here."""
    node = node_of(request)
    proof: ConsistencyProof | None = None
    steps: list[Step] = []
    error, status, old_signed = None, 200, False
    if old is not None:
        try:
            proof = node.ledger.consistency_proof(old, new)
        except (InvalidInput, NotFound) as exc:
            error, status = exc.detail, forms.page_status(exc)
        else:
            steps, old_signed = _consistency_steps(request, proof)
    return render(
        request,
        "ledger_consistency.html",
        page,
        status=status,
        form={"old": "" if old is None else old, "new": "" if new is None else new},
        sizes=[cp.size for cp in node.ledger.checkpoints(limit=50)],
        proof=proof,
        steps=steps,
        verified=bool(steps) and all(s.ok for s in steps),
        old_signed=old_signed,
        error=error,
        b64=b64,
        **_status(request),
    )


def _opened(request: Request, note: str) -> tuple[VerifiedCheckpoint | None, Step]:
    node = node_of(request)
    try:
        checked = open_checkpoint(
            note,
            origin=node.ledger.origin,
            log_verifier=node.ledger.verifier(),
            cosigners=_witness_verifiers(request),
        )
    except CheckpointError as exc:
        return None, Step("The checkpoint is signed by this log's key", False, exc.detail)
    size = checked.checkpoint.size
    return checked, Step(
        f"The checkpoint of {size:,} entries is signed by this log's key",
        True,
        f"{node.ledger.origin}; key {node.ledger.verifier().vkey}",
    )


def _consistency_steps(request: Request, proof: ConsistencyProof) -> tuple[list[Step], bool]:
    """Check the newer checkpoint's signature, the older one's if signed, then the proof."""
    node = node_of(request)
    steps: list[Step] = []
    new_root, old_root, old_signed = proof.new_root, proof.old_root, False
    checked, step = _opened(request, proof.checkpoint)
    steps.append(step)
    if checked is not None:
        same = (
            checked.checkpoint.size == proof.new_size and checked.checkpoint.root_hash == new_root
        )
        steps.append(
            Step(
                "The proof ends at the tree the newer checkpoint signs (size and root)",
                same,
                f"{checked.checkpoint.size:,} entries, root {b64(checked.checkpoint.root_hash)}",
            )
        )
        new_root = checked.checkpoint.root_hash
    try:
        older = node.ledger.checkpoint_at(proof.old_size)
    except NotFound:
        older = None  # any size may be proved; only checkpoint sizes have a signed root
    if older is not None:
        old_signed = True
        checked_old, step = _opened(request, older.note)
        steps.append(step)
        if checked_old is not None:
            same = checked_old.checkpoint.root_hash == proof.old_root
            steps.append(
                Step(
                    "The proof starts from the root the older checkpoint signs",
                    same,
                    f"{proof.old_size:,} entries, root {b64(checked_old.checkpoint.root_hash)}",
                )
            )
            old_root = checked_old.checkpoint.root_hash
    try:
        verify_consistency(proof.old_size, proof.new_size, proof.proof, old_root, new_root)
    except (ProofError, InvalidInput) as exc:
        steps.append(
            Step("The proof's hashes lead from the older root to the newer", False, exc.detail)
        )
    else:
        steps.append(
            Step(
                "The proof's hashes lead from the older root to the newer",
                True,
                f"{len(proof.proof)} hashes (RFC 9162 §2.1.4.2)",
            )
        )
    return steps, old_signed


# --- witnesses -------------------------------------------------------------------------


def _witnesses_page(
    request: Request,
    page: PageContext,
    *,
    outcomes: list[WitnessOutcome] | None = None,
    error: str | None = None,
    request_error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    return render(
        request,
        "ledger_witnesses.html",
        page,
        status=status,
        witnesses=node.witnesses.witnesses(),
        witnessed=node.witnesses.witnessed_logs(),
        origin=node.ledger.origin,
        log_vkey=node.ledger.verifier().vkey,
        witness_vkey=node.witnesses.cosigner_vkey(),
        officer=page.holds(Role.SECURITY_OFFICER),
        outcomes=outcomes,
        error=error,
        request_error=request_error,
        form=form or {"vkey": "", "url": ""},
        **_status(request),
    )


@router.get("/witnesses")
def witnesses(request: Request, page: ReaderPage) -> HTMLResponse:
    """Who witnesses this log, which logs this node witnesses, and the keys to exchange."""
    return _witnesses_page(request, page)


@router.post("/witnesses")
def add_witness(
    request: Request,
    page: ReaderPage,
    vkey: Annotated[str, Form(max_length=400)] = "",
    url: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    """Configure a partner to witness this log (security officers)."""
    assert page.principal is not None
    try:
        added = node_of(request).witnesses.add_witness(
            page.principal, ctx_of(request), vkey=vkey, url=url.strip()
        )
    except CaveatError as exc:
        status = forms.page_status(exc)
        form = {"vkey": vkey, "url": url}
        return _witnesses_page(request, page, error=exc.detail, form=form, status=status)
    return forms.done("/ledger/witnesses", f"Witness {added.name} added.")


@router.post("/witnesses/request")
def request_cosignatures(
    request: Request, page: ReaderPage, witness: Annotated[str, Form(max_length=200)] = ""
) -> HTMLResponse:
    """Publish a checkpoint and ask every witness (or the one named) to cosign it; show
    what each answered."""
    assert page.principal is not None
    try:
        outcomes = node_of(request).witnesses.request_cosignatures(
            page.principal, ctx_of(request), witness=witness or None
        )
    except CaveatError as exc:
        status = forms.page_status(exc)
        return _witnesses_page(request, page, request_error=exc.detail, status=status)
    return _witnesses_page(request, page, outcomes=outcomes)


@router.get("/verify")
def verify_page(request: Request, page: ReaderPage) -> HTMLResponse:
    """The full verification, run on demand."""
    return render(request, "ledger_verify.html", page, report=None, **_status(request))


@router.post("/verify")
def verify(request: Request, page: ReaderPage) -> HTMLResponse:
    """Recompute every leaf and level, check every checkpoint and cosignature."""
    node = node_of(request)
    started = node.uow.clock()
    report = node.ledger_verifier.verify()
    template = (
        "ledger_verify_result.html" if request.headers.get("hx-request") else "ledger_verify.html"
    )
    return render(request, template, page, report=report, checked_at=started, **_status(request))


@router.get("/alerts")
def alerts(
    request: Request,
    page: ReaderPage,
    status: Annotated[str, Query(max_length=16)] = AlertStatus.OPEN,
) -> HTMLResponse:
    """Conduct-monitoring alerts, newest first."""
    return _alerts_page(request, page, status)


def _alerts_page(
    request: Request, page: PageContext, status: str, error: str | None = None, code: int = 200
) -> HTMLResponse:
    assert page.principal is not None
    wanted = status if status in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED) else None
    found = node_of(request).monitoring.alerts(page.principal, status=wanted, limit=100)
    return render(
        request,
        "ledger_alerts.html",
        page,
        status=code,
        alerts=found,
        shown=wanted or "all",
        error=error,
        officer=Role.SECURITY_OFFICER in page.principal.roles,
        **_status(request),
    )


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(
    request: Request,
    alert_id: str,
    page: ReaderPage,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record what a security officer concluded about an alert."""
    assert page.principal is not None
    try:
        if not note.strip():
            raise InvalidInput("say what you concluded", field="note")
        node_of(request).monitoring.acknowledge(
            page.principal, ctx_of(request), alert_id, note=note
        )
    except CaveatError as exc:
        status = forms.page_status(exc, forms.PAGE_ERRORS - {ErrorKind.NOT_FOUND})
        return _alerts_page(request, page, AlertStatus.OPEN, exc.detail, status)
    return forms.done("/ledger/alerts", "Alert acknowledged.")
