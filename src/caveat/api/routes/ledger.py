"""The ledger: checkpoints, proofs, tiles, witnessing, audit explorer and alerts.

Outside ``/api/``, three transparency-log protocol endpoints speak the C2SP formats
(text and bytes, no JSON): ``GET /checkpoint``, ``GET /tile/...`` (tlog-tiles) and
``POST /add-checkpoint`` (tlog-witness), whose status codes the protocol fixes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from caveat.api.background import while_serving
from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import CSV, MAX_LOG_SIZE, Strict
from caveat.api.views import fields_of, response_of, view_model
from caveat.bootstrap.container import Node
from caveat.bootstrap.marking import events_csv_labels, export_marking, mark_csv
from caveat.domain.errors import CaveatError, InvalidInput, NotFound
from caveat.domain.events import Outcome
from caveat.services.kernel.principal import Principal
from caveat.services.ledger import (
    TILE_WIDTH,
    Activity,
    Alert,
    AuditEntry,
    AuditPage,
    AuditTable,
    ConsistencyProof,
    EventFilter,
    InclusionProof,
    StoredCheckpoint,
    WitnessBadProof,
    WitnessBadRequest,
    WitnessBadSignature,
    WitnessOutcome,
    WitnessRootMismatch,
    WitnessService,
    WitnessStaleSize,
    WitnessUnknownLog,
    b64,
)
from caveat.services.readable import Names

# The ledger worker runs for as long as the app serves.
router = APIRouter(
    tags=["ledger"], lifespan=while_serving(lambda app: app.state.node.ledger_worker)
)
NOTE_TYPE = "text/plain; charset=utf-8"
# ASCII digits only (\d would take any script's digits), at most 6 index elements
# (2^64 leaves): an index is never more than 19 digits.
_TILE_PATH = re.compile(r"((?:x[0-9]{3}/){0,5}[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")
_TILE_LEVEL = re.compile(r"0|[1-9]|[1-5][0-9]|6[0-3]")  # 0-63 in decimal, no leading zero


# --- schemas -----------------------------------------------------------------------


class CheckpointOut(BaseModel):
    size: int
    root_hash: str
    note: str
    published_at: datetime
    cosigners: list[str]

    @classmethod
    def of(cls, cp: StoredCheckpoint) -> CheckpointOut:
        return cls(
            size=cp.size,
            root_hash=b64(cp.root_hash),
            note=cp.note,
            published_at=cp.published_at,
            cosigners=list(cp.cosigners),
        )


class InclusionOut(BaseModel):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]
    root_hash: str
    checkpoint: str

    @classmethod
    def of(cls, p: InclusionProof) -> InclusionOut:
        return cls(
            index=p.index,
            size=p.size,
            leaf_hash=b64(p.leaf_hash),
            proof=[b64(h) for h in p.proof],
            root_hash=b64(p.root_hash),
            checkpoint=p.checkpoint,
        )


class ConsistencyOut(BaseModel):
    old_size: int
    new_size: int
    proof: list[str]
    old_root: str
    new_root: str
    checkpoint: str

    @classmethod
    def of(cls, p: ConsistencyProof) -> ConsistencyOut:
        return cls(
            old_size=p.old_size,
            new_size=p.new_size,
            proof=[b64(h) for h in p.proof],
            old_root=b64(p.old_root),
            new_root=b64(p.new_root),
            checkpoint=p.checkpoint,
        )


class KeysOut(BaseModel):
    origin: str
    log_vkey: str
    witness_vkey: str


ActivityOut = view_model(Activity)
# One event as the explorer shows it, with names for people beside the ids: the acting
# person's display name, and the target's name on services.readable's rule (a resource's
# title only when the reader may discover it, a project's name only for its members or
# where the answer shows something in it, a person's display name), else null.
NamedAuditEntryOut = view_model(
    AuditEntry,
    name="NamedAuditEntry",
    extras={"actor_display_name": (str | None, None), "target_name": (str | None, None)},
)
EventPageOut = view_model(
    AuditPage,
    extras={"entries": (list[NamedAuditEntryOut], None)},  # type: ignore[valid-type]
)
AuditTableOut = view_model(
    AuditTable,
    extras={"entries": (list[NamedAuditEntryOut], None)},  # type: ignore[valid-type]
)
AlertOut = view_model(Alert)
WitnessOut = response_of(WitnessService.add_witness)


class EventActor(BaseModel):
    kind: str
    id: str | None
    name: str | None


class EventTarget(BaseModel):
    type: str
    id: str | None


class LedgerEventOut(BaseModel):
    """An event document exactly as the leaf hash covers it (RFC 8785 bytes). Withheld
    (about a resource the reader may not discover): ``data`` is empty, ``withheld`` says
    why, and ``leaf_hash`` and ``index`` let its inclusion proof still be checked."""

    model_config = ConfigDict(populate_by_name=True)
    schema_: str = Field(alias="schema", examples=["caveat.event/1"])
    id: str
    type: str
    type_version: int
    actor: EventActor
    target: EventTarget
    outcome: str
    occurred_at: str
    request_id: str | None
    node_id: str
    data: dict[str, Any]
    withheld: str | None = None
    leaf_hash: str | None = None
    index: int | None = None


class AcknowledgeIn(Strict):
    note: str = Field(min_length=1, max_length=2000)


# --- transparency-log protocols (C2SP) ------------------------------------------------


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(node: NodeDep) -> PlainTextResponse:
    """The latest signed checkpoint with its cosignatures (c2sp.org/tlog-tiles)."""
    return PlainTextResponse(node.ledger.require_checkpoint().note, media_type=NOTE_TYPE)


def _tile_coordinates(path: str) -> tuple[int, int]:
    """Index and width from a tile path exactly as c2sp.org/tlog-tiles writes it: 3-digit
    elements, all but the last prefixed "x", no leading x000 element, and an optional
    ".p/<W>" with 1 <= W <= 255 in decimal without leading zeros. Any other spelling of
    the same tile is not found, so every tile has one URL (and one cache entry)."""
    match = _TILE_PATH.fullmatch(path)
    if not match or match.group(1).startswith("x000/"):
        raise NotFound("no such tile", code="tile_not_found")
    index = int("".join(part.lstrip("x") for part in match.group(1).split("/")))
    width = int(match.group(2)) if match.group(2) else TILE_WIDTH
    if not 0 < width <= TILE_WIDTH or (match.group(2) and width == TILE_WIDTH):
        raise NotFound("no such tile", code="tile_not_found")
    return index, width


def _tile(data: bytes, width: int, *, public: bool) -> Response:
    # A full hash tile never changes; a partial one is only cached briefly. Entry
    # bundles hold event bytes for auditors: no shared cache keeps them, and the
    # reader's own cache asks again each time, so a reader who lost the role (or the
    # next person at the same browser) gets nothing from it.
    if not public:
        control = "private, no-cache"
    elif width == TILE_WIDTH:
        control = "public, max-age=31536000, immutable"
    else:
        control = "public, max-age=60"
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": control})


def _not_found_if_out_of_range(call: Callable[[], bytes]) -> bytes:
    try:
        return call()
    except InvalidInput as exc:  # coordinates beyond any tile this log can have
        raise NotFound("no such tile", code="tile_not_found") from exc


TILE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A tile (c2sp.org/tlog-tiles)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get("/tile/entries/{path:path}", response_class=Response, responses=TILE)
def entries_tile(path: str, principal: CurrentPrincipal, node: NodeDep) -> Response:
    """An entry bundle: event bytes are for auditors and security officers, and only
    whole (a bundle holding an entry the reader may not discover is refused)."""
    index, width = _tile_coordinates(path)
    data = _not_found_if_out_of_range(lambda: node.audit.entries_tile(principal, index, width))
    return _tile(data, width, public=False)


@router.get("/tile/{level}/{path:path}", response_class=Response, responses=TILE)
def hash_tile(level: str, path: str, node: NodeDep) -> Response:
    """A hash tile (c2sp.org/tlog-tiles): hashes only, public like the checkpoint."""
    if not _TILE_LEVEL.fullmatch(level):
        raise NotFound("no such tile", code="tile_not_found")
    index, width = _tile_coordinates(path)
    data = _not_found_if_out_of_range(lambda: node.ledger.hash_tile(int(level), index, width))
    return _tile(data, width, public=True)


_WITNESS_STATUS: dict[type[CaveatError], int] = {
    WitnessBadRequest: 400,
    WitnessBadSignature: 403,
    WitnessUnknownLog: 404,
    WitnessRootMismatch: 409,
    WitnessBadProof: 422,
}


@router.post(
    "/add-checkpoint",
    response_class=PlainTextResponse,
    responses={
        status: {"description": "tlog-witness refusal", "content": {"text/plain": {}}}
        for status in sorted(set(_WITNESS_STATUS.values()))
    },
)
async def add_checkpoint(request: Request, node: NodeDep, ctx: CtxDep) -> Response:
    """c2sp.org/tlog-witness: cosign a partner log's checkpoint if it is consistent."""
    body = await request.body()
    try:
        # The database work runs on a worker thread: on the event loop, one request
        # waiting for the write lock would stall every other request of the server.
        lines = await run_in_threadpool(node.witnesses.add_checkpoint, ctx, body)
    except WitnessStaleSize as exc:
        # Exactly this media type, without a charset parameter: clients compare it whole.
        return Response(
            f"{exc.data['known_size']}\n",
            status_code=409,
            headers={"content-type": "text/x.tlog.size"},
        )
    except (
        WitnessBadRequest,
        WitnessBadSignature,
        WitnessUnknownLog,
        WitnessRootMismatch,
        WitnessBadProof,
    ) as exc:
        # tlog-witness fixes these statuses; the body is a plain-text reason.
        return PlainTextResponse(exc.detail + "\n", status_code=_WITNESS_STATUS[type(exc)])
    return PlainTextResponse(lines, media_type=NOTE_TYPE)


# --- the ledger API --------------------------------------------------------------------


@router.get("/api/v1/ledger/keys")
def keys(node: NodeDep) -> KeysOut:
    """The log's verifier key and our cosigner key, for partners to configure."""
    return KeysOut(
        origin=node.ledger.origin,
        log_vkey=node.ledger.verifier().vkey,
        witness_vkey=node.witnesses.cosigner_vkey(),
    )


@router.get("/api/v1/ledger/checkpoints")
def checkpoints(
    _: CurrentPrincipal,
    node: NodeDep,
    below: Annotated[int | None, Query(ge=0, le=MAX_LOG_SIZE)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[CheckpointOut]:
    """Published checkpoints, newest first; page with ``below`` = the last size seen."""
    return [CheckpointOut.of(cp) for cp in node.ledger.checkpoints(limit=limit, below=below)]


@router.post("/api/v1/ledger/checkpoints", status_code=201)
def publish(principal: CurrentPrincipal, node: NodeDep) -> CheckpointOut:
    """Integrate pending events and publish a checkpoint now (node operators; the
    sequencer publishes on its schedule by itself)."""
    return CheckpointOut.of(node.ledger.publish_checkpoint(principal))


class WitnessIn(Strict):
    vkey: str = Field(max_length=400, description="the partner's cosigner key, name+id+key")
    url: str = Field(max_length=500, description="its add-checkpoint URL prefix")


class CosignIn(Strict):
    witness: str | None = Field(default=None, max_length=200, description="one witness only")


@router.get("/api/v1/ledger/witnesses", response_model=list[WitnessOut])  # type: ignore[valid-type]
def witnesses(principal: CurrentPrincipal, node: NodeDep) -> list[object]:
    """The partners that witness this log and the size each cosigned last (node
    operators, security officers, auditors)."""
    return list(node.witnesses.configured(principal))


@router.post("/api/v1/ledger/witnesses", status_code=201, response_model=WitnessOut)
def add_witness(body: WitnessIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> object:
    """Configure a witness (node operators and security officers)."""
    return node.witnesses.add_witness(principal, ctx, vkey=body.vkey, url=body.url)


@router.post(
    "/api/v1/ledger/cosignatures",
    response_model=list[view_model(WitnessOutcome)],  # type: ignore[misc]
)
def request_cosignatures(
    body: CosignIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> list[WitnessOutcome]:
    """Publish a checkpoint and ask every witness, or the one named, to cosign it; what
    each answered (cosigned, refused, unreachable)."""
    return node.witnesses.request_cosignatures(principal, ctx, witness=body.witness)


@router.get("/api/v1/ledger/proofs/inclusion")
def inclusion(
    _: CurrentPrincipal,
    node: NodeDep,
    index: Annotated[int | None, Query(ge=0, le=MAX_LOG_SIZE)] = None,
    event_id: str | None = None,
    size: Annotated[int | None, Query(ge=1, le=MAX_LOG_SIZE)] = None,
) -> InclusionOut:
    """Prove an entry (by leaf index or event id) is in a checkpoint (latest by default)."""
    if (index is None) == (event_id is None):
        raise InvalidInput("give exactly one of index and event_id", field="index")
    if event_id is not None:
        return InclusionOut.of(node.ledger.inclusion_proof_for_event(event_id, size))
    assert index is not None
    return InclusionOut.of(node.ledger.inclusion_proof(index, size))


@router.get("/api/v1/ledger/proofs/consistency")
def consistency(
    _: CurrentPrincipal,
    node: NodeDep,
    old: Annotated[int, Query(ge=1, le=MAX_LOG_SIZE)],
    new: Annotated[int | None, Query(ge=1, le=MAX_LOG_SIZE)] = None,
) -> ConsistencyOut:
    """Prove the checkpoint of ``old`` entries is a prefix of ``new`` (latest by default)."""
    return ConsistencyOut.of(node.ledger.consistency_proof(old, new))


@router.get(
    "/api/v1/ledger/entries/{index}",
    response_class=Response,
    responses={200: {"model": LedgerEventOut, "description": "The event document"}},
)
def entry(
    index: Annotated[int, Path(ge=0, le=MAX_LOG_SIZE)], principal: CurrentPrincipal, node: NodeDep
) -> Response:
    """The exact canonical event bytes at ``index`` (what the leaf hash covers). An entry
    about a resource the reader may not discover comes as its event without the data,
    marked ``withheld``, with its ``leaf_hash``: its inclusion proof still verifies."""
    found = node.audit.entry(principal, index)
    if found.body is not None:
        return Response(found.body, media_type="application/json")
    return JSONResponse({**found.event, "leaf_hash": b64(found.leaf_hash), "index": index})


# --- the audit explorer ------------------------------------------------------------------


def _filter(
    actor: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    action: str | None = None,
    outcome: Outcome | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EventFilter:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput("times need a time zone (e.g. ...Z)", field=name)
    return EventFilter(actor, target_type, target_id, action, outcome, since, until)


def _named(node: Node, principal: Principal, entries: list[AuditEntry]) -> list[BaseModel]:
    """The entries with the names their reader may know (see NamedAuditEntryOut)."""
    names = Names(node, principal).events(entries)
    return [
        NamedAuditEntryOut.model_validate(
            {**fields_of(e), "actor_display_name": actor, "target_name": target}
        )
        for e, (actor, target) in zip(entries, names, strict=True)
    ]


def _page_out(node: Node, principal: Principal, page: AuditPage) -> BaseModel:
    return EventPageOut.model_validate(
        {**fields_of(page), "entries": _named(node, principal, page.entries)}
    )


# The search's filters as query parameters, declared once for every route that takes them.
Filter = Annotated[EventFilter, Depends(_filter)]


def _table_filter(
    f: Filter,
    actor_kind: Annotated[str | None, Query(max_length=16)] = None,
    day: date | None = None,
) -> EventFilter:
    return replace(f, actor_kind=actor_kind, day=day)


# The table's filters: the search's, an actor kind and a UTC day.
TableFilter = Annotated[EventFilter, Depends(_table_filter)]
Page = Annotated[int, Query(ge=1, le=1000)]


@router.get("/api/v1/audit/events", response_model=EventPageOut)
def events(
    principal: CurrentPrincipal,
    node: NodeDep,
    f: Filter,
    cursor: Annotated[int | None, Query(ge=0, le=MAX_LOG_SIZE)] = None,
    limit: Page = 100,
) -> BaseModel:
    """Search events, newest first; pass ``next_cursor`` back as ``cursor`` for more.
    Each event carries names beside its ids: ``actor_display_name`` and ``target_name``
    (null where the reader may not learn the name)."""
    return _page_out(node, principal, node.audit.search(principal, f, cursor=cursor, limit=limit))


@router.get("/api/v1/audit/events/table", response_model=AuditTableOut)
def events_table(
    principal: CurrentPrincipal,
    node: NodeDep,
    f: TableFilter,
    sort: Annotated[str, Query(max_length=16)] = "seq",
    dir: Annotated[Literal["asc", "desc"], Query()] = "desc",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    limit: Page = 50,
) -> BaseModel:
    """The events table: a numbered page sorted by ``sort`` (seq, type, outcome, actor,
    target), the total (exact up to 10,000) and counts per event type, actor kind and
    UTC day (each facet with the other filters applied); ``action`` filters the type,
    ``day`` a UTC day. Data you may not discover is withheld, as in the search."""
    found = node.audit.table(
        principal, f, sort=sort, descending=dir == "desc", page=page, limit=limit
    )
    return AuditTableOut.model_validate(
        {**fields_of(found), "entries": _named(node, principal, found.entries)}
    )


@router.get("/api/v1/audit/events/activity", response_model=ActivityOut)
def events_activity(
    principal: CurrentPrincipal,
    node: NodeDep,
    f: TableFilter,
) -> Activity:
    """The matching events per UTC period (``hour`` for a day or a span under 48 hours,
    ``day`` up to 92 days, else ``month``) and event family (access, content, release,
    programme, federation, admin, other), every period from the first to the last: the
    same events the table lists to you for the same filters, counted by the database."""
    return node.audit.activity(principal, f)


@router.get("/api/v1/audit/events.csv", response_class=Response, responses=CSV)
def events_csv(
    principal: CurrentPrincipal,
    node: NodeDep,
    ctx: CtxDep,
    f: Filter,
) -> Response:
    """Matching events, oldest first, as CSV (the export is itself recorded); its first
    and last line the marking (``MARKING: ...``, the roll-up of the labels it carries)."""
    text = node.audit.export_csv(principal, ctx, f, Names(node, principal).events)
    return Response(
        mark_csv(text, export_marking(node, principal, events_csv_labels(text))),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="caveat-events.csv"'},
    )


@router.get("/api/v1/audit/targets/{target_type}/{target_id}", response_model=EventPageOut)
def target_history(
    target_type: str,
    target_id: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    cursor: Annotated[int | None, Query(ge=0, le=MAX_LOG_SIZE)] = None,
    limit: Page = 100,
) -> BaseModel:
    """Everything that happened to one target (an artifact, an account, a token...)."""
    found = node.audit.target_history(principal, target_type, target_id, cursor=cursor, limit=limit)
    return _page_out(node, principal, found)


@router.get("/api/v1/audit/people/{person_id}", response_model=EventPageOut)
def person_history(
    person_id: str,
    principal: CurrentPrincipal,
    node: NodeDep,
    cursor: Annotated[int | None, Query(ge=0, le=MAX_LOG_SIZE)] = None,
    limit: Page = 100,
) -> BaseModel:
    """Everything one person did, and everything done to their account."""
    found = node.audit.person_history(principal, person_id, cursor=cursor, limit=limit)
    return _page_out(node, principal, found)


# --- alerts ---------------------------------------------------------------------------------


@router.get("/api/v1/alerts", response_model=list[AlertOut])  # type: ignore[valid-type]
def alerts(
    principal: CurrentPrincipal,
    node: NodeDep,
    status: str | None = None,
    before: str | None = None,
    limit: Page = 100,
) -> list[Alert]:
    """Conduct-monitoring alerts, newest first (security officers and auditors)."""
    return node.monitoring.alerts(principal, status=status, limit=limit, before=before)


@router.post("/api/v1/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(
    alert_id: str, body: AcknowledgeIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> Alert:
    """Acknowledge an alert with what was concluded (security officers)."""
    return node.monitoring.acknowledge(principal, ctx, alert_id, note=body.note)
