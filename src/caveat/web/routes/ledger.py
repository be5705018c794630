"""The ledger explorer for auditors and security officers.

Search events; open an entry and check its inclusion proof against the latest signed
checkpoint here, step by step, with the domain's RFC 9162 verifier (the page does not
take the server's word for it: it recomputes the leaf hash from the entry's bytes,
checks the checkpoint's signature with the log key and every known witness key, and
walks the proof to the signed root); the latest checkpoints with their cosignatures;
a full verification on demand; conduct alerts and their acknowledgement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caveat.api.problems import STATUS
from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput, PermissionDenied
from caveat.domain.events import Outcome
from caveat.domain.identity import Role
from caveat.domain.ledger import (
    CheckpointError,
    ProofError,
    leaf_hash,
    open_checkpoint,
    verifier_from_vkey,
    verify_inclusion,
)
from caveat.domain.ledger.note import NoteVerifier
from caveat.services.audit import EventFilter
from caveat.services.ledger import b64
from caveat.services.monitoring import AlertStatus
from caveat.web.labelling import labels_in
from caveat.web.pages import PageContext, render, start_of_day
from caveat.web.session import ctx_of, node_of, signed_in

router = APIRouter(prefix="/ledger", include_in_schema=False)
READERS = frozenset({Role.SECURITY_OFFICER, Role.AUDITOR})
PAGE_SIZE = 50


def ledger_reader(page: Annotated[PageContext, Depends(signed_in)]) -> PageContext:
    """The page context of an auditor or security officer."""
    if page.principal is None or not page.principal.roles & READERS:
        raise PermissionDenied(
            "the ledger explorer is for auditors and security officers", code="role_missing"
        )
    return page


ReaderPage = Annotated[PageContext, Depends(ledger_reader)]


def _status(request: Request) -> dict[str, Any]:
    node = node_of(request)
    return {"latest": node.ledger.latest_checkpoint(), "pending": node.ledger.pending()}


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
    cursor: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    """Search the event log, newest first."""
    node = node_of(request)
    assert page.principal is not None
    form = {
        "actor": actor.strip(),
        "action": action.strip(),
        "outcome": outcome,
        "target_type": target_type.strip(),
        "target_id": target_id.strip(),
        "since": since,
        "until": until,
    }
    entries: list[Any] = []
    error, next_href, status = None, None, 200
    try:
        end = start_of_day(until, "until")
        f = EventFilter(
            actor=form["actor"] or None,
            target_type=form["target_type"] or None,
            target_id=form["target_id"] or None,
            action=form["action"] or None,
            outcome=Outcome(outcome) if outcome in {o.value for o in Outcome} else None,
            since=start_of_day(since, "since"),
            until=None if end is None else end + timedelta(days=1),
        )
        found = node.audit.search(page.principal, f, cursor=cursor, limit=PAGE_SIZE)
    except InvalidInput as exc:
        error, status = exc.detail, 422
    else:
        entries = found.entries
        if found.next_cursor is not None:
            kept = {k: v for k, v in form.items() if v}
            next_href = "/ledger?" + urlencode({**kept, "cursor": found.next_cursor})
    return render(
        request,
        "ledger_events.html",
        page,
        status=status,
        form=form,
        outcomes=[o.value for o in Outcome],
        entries=entries,
        error=error,
        paged=cursor is not None,
        next_href=next_href,
        **_status(request),
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
    body = node.ledger.entry(page.principal, index)
    event = json.loads(body)
    page.labels.extend(labels_in([event.get("data") or {}]))
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
            **_status(request),
        )
    steps: list[Step] = []
    leaf = leaf_hash(body.encode())
    steps.append(
        Step(
            "The entry's exact bytes hash to the leaf hash of the proof",
            leaf == proof.leaf_hash,
            f"SHA-256(0x00 ‖ entry) = {b64(leaf)}",
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
        **_status(request),
    )


def _back(value: str) -> str:
    return value if value.startswith("/ledger") and "//" not in value else "/ledger/checkpoints"


@router.post("/checkpoints")
def publish(
    request: Request, page: ReaderPage, back: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    """Integrate pending events and publish a checkpoint now."""
    checkpoint = node_of(request).ledger.publish_checkpoint()
    done = quote(f"Published a checkpoint of {checkpoint.size} entries.")
    target = _back(back)
    return RedirectResponse(f"{target}?done={done}", status_code=303)


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
        **_status(request),
    )


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
        if exc.kind in (ErrorKind.INTEGRITY, ErrorKind.INTERNAL, ErrorKind.NOT_FOUND):
            raise
        return _alerts_page(request, page, AlertStatus.OPEN, exc.detail, STATUS[exc.kind])
    return RedirectResponse("/ledger/alerts?done=" + quote("Alert acknowledged."), status_code=303)
