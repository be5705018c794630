"""TAXII 2.1 at ``/taxii2/`` (OASIS TAXII 2.1 §4-5; issue 20, ADR 0023), and the Caveat
API's ``POST /api/v1/taxii/collections`` that opens a collection.

TAXII speaks its own media type, ``application/taxii+json;version=2.1``: a request whose
Accept header admits neither it nor a wildcard gets 406, an add request of another
Content-Type 415, and every error is a TAXII error message (title, description,
error_code, http_status; rendered in ``api/problems.py`` and at the edge). The TAXII
routes stay out of the OpenAPI document: OASIS specifies them.

A caller proves who they are with a bearer token, as on the rest of the API, or with
HTTP Basic whose password is one of their API tokens; an account password is refused
(it would skip the second factor). What a token reads is what the policy gives the
token's principal: a token carries no second-factor time, so classified content needing
a fresh one is not given to it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep, get_ctx, get_node
from caveat.api.schemas import Strict
from caveat.bootstrap.container import Node
from caveat.domain.credentials import TokenKind
from caveat.domain.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from caveat.services.artifacts import parse_label_text
from caveat.services.intel import (
    API_ROOT,
    MAX_CONTENT_LENGTH,
    MEDIA_STIX,
    MEDIA_TAXII,
    Collection,
    Endpoint,
    Page,
    Status,
    added_time,
    read_filters,
    stix_time,
)
from caveat.services.kernel.principal import Principal, Scope
from caveat.services.kernel.uow import CallContext

PREFIX = "/taxii2"
ROOT = f"/{API_ROOT}"
router = APIRouter(prefix=PREFIX)
admin = APIRouter(prefix="/api/v1/taxii", tags=["threat intelligence"])
_SAFE = {"GET", "HEAD", "OPTIONS"}


class TaxiiResponse(JSONResponse):
    """A TAXII 2.1 answer."""

    media_type = MEDIA_TAXII


def _media(text: str) -> tuple[str, dict[str, str]]:
    kind, *params = (part.strip() for part in text.split(";"))
    pairs = (p.partition("=") for p in params if "=" in p)
    return kind.lower(), {k.strip().lower(): v.strip().strip('"') for k, _, v in pairs}


def _taxii_media(kind: str, params: dict[str, str]) -> bool:
    return kind == "application/taxii+json" and params.get("version", "2.1") == "2.1"


def acceptable(request: Request) -> None:
    """406 unless the Accept header admits TAXII 2.1 (no header admits anything)."""
    header = request.headers.get("accept")
    if header is None:
        return
    for item in header.split(","):
        kind, params = _media(item)
        if params.get("q", "1").strip() in ("0", "0.0", "0.00", "0.000"):
            continue
        if kind in ("*/*", "application/*") or _taxii_media(kind, params):
            return
    raise InvalidInput(
        "this endpoint answers application/taxii+json;version=2.1 only",
        code="not_acceptable",
        field="accept",
        hint="send Accept: application/taxii+json;version=2.1",
    )


def _basic(node: Node, ctx: CallContext, value: str) -> Principal:
    try:
        username, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        username, sep, password = "", "", ""
    if not sep or not password.startswith(TokenKind.API.value + "_"):
        raise AuthenticationFailed(
            "HTTP Basic takes your username and an API token as the password, "
            "never your account password",
            code="basic_needs_api_token",
            hint="create one with `caveat token create taxii --scope read`",
        )
    principal = node.auth.authenticate(ctx, password)
    if principal.username.casefold() != username.strip().casefold():
        raise AuthenticationFailed("the API token is not valid", code="invalid_token")
    return principal


def taxii_principal(
    request: Request,
    node: Annotated[Node, Depends(get_node)],
    ctx: Annotated[CallContext, Depends(get_ctx)],
) -> Principal:
    """The caller: a bearer session or API token, or HTTP Basic with an API token."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        principal = node.auth.authenticate(ctx, value.strip())
    elif scheme.lower() == "basic" and value.strip():
        principal = _basic(node, ctx, value.strip())
    else:
        raise AuthenticationFailed(
            "sign in first",
            code="not_authenticated",
            hint="send Authorization: Bearer <token>, or Basic with your username and an API token",
        )
    principal.require_scope(Scope.READ if request.method in _SAFE else Scope.WRITE)
    if principal.must_change_password:
        raise PermissionDenied(
            "change the one-time password before doing anything else",
            code="password_change_required",
            hint="`caveat passwd`",
        )
    return principal


Caller = Annotated[Principal, Depends(taxii_principal)]


def _route(method: str, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A TAXII route at ``path`` and without its trailing slash (clients build both:
    taxii2-client polls ``.../status/{id}``), checking the Accept header first."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        for each in dict.fromkeys((path, path.rstrip("/"))):
            router.add_api_route(
                each,
                func,
                methods=[method],
                include_in_schema=False,
                dependencies=[Depends(acceptable)],
                response_class=TaxiiResponse,
            )
        return func

    return register


def _root_url(request: Request) -> str:
    base = f"{request.url.scheme}://{request.url.netloc}"
    return f"{base}{PREFIX}{ROOT}/"


@_route("GET", "/")
def discovery(_: Caller, request: Request, node: NodeDep) -> TaxiiResponse:
    """Server discovery (§4.1): this node's one API root."""
    root = _root_url(request)
    return TaxiiResponse(
        {
            "title": f"Caveat {node.identity.name}",
            "description": "Labelled STIX 2.1 threat intelligence; every object is "
            "policy-filtered and every read and write is in the node's ledger.",
            "default": root,
            "api_roots": [root],
        }
    )


@_route("GET", f"{ROOT}/")
def api_root(_: Caller) -> TaxiiResponse:
    """API root information (§4.2)."""
    return TaxiiResponse(
        {
            "title": "Caveat threat intelligence",
            "description": "Collections of the projects you are a member of.",
            "versions": [MEDIA_TAXII],
            "max_content_length": MAX_CONTENT_LENGTH,
        }
    )


def _status(status: Status) -> dict[str, Any]:
    def details(items: tuple[Any, ...]) -> list[dict[str, str]]:
        out = []
        for item in items:
            entry = {"id": item.id, "version": item.version}
            if item.message is not None:
                entry["message"] = item.message
            out.append(entry)
        return out

    body: dict[str, Any] = {
        "id": status.id,
        "status": status.status,
        "request_timestamp": added_time(status.request_timestamp),
        "total_count": status.total_count,
        "success_count": len(status.successes),
        "failure_count": len(status.failures),
        "pending_count": len(status.pendings),
    }
    for key, items in (
        ("successes", status.successes),
        ("failures", status.failures),
        ("pendings", status.pendings),
    ):
        if items:
            body[key] = details(items)
    return body


@_route("GET", f"{ROOT}/status/{{status_id}}/")
def get_status(principal: Caller, node: NodeDep, status_id: str) -> TaxiiResponse:
    """The status of an add request (§4.3), for the person who made it."""
    return TaxiiResponse(_status(node.taxii.status(principal, status_id)))


def _collection(collection: Collection) -> dict[str, Any]:
    body: dict[str, Any] = {"id": collection.id, "title": collection.title}
    if collection.description:
        body["description"] = collection.description
    body.update(
        can_read=collection.can_read,
        can_write=collection.can_write,
        media_types=list(collection.media_types),
    )
    return body


@_route("GET", f"{ROOT}/collections/")
def collections(principal: Caller, node: NodeDep) -> TaxiiResponse:
    """The collections of the caller's projects (§5.1)."""
    found = node.taxii.collections(principal)
    return TaxiiResponse({"collections": [_collection(c) for c in found]} if found else {})


@_route("GET", f"{ROOT}/collections/{{collection_id}}/")
def collection(principal: Caller, node: NodeDep, collection_id: str) -> TaxiiResponse:
    """One collection (§5.2)."""
    return TaxiiResponse(_collection(node.taxii.collection(principal, collection_id)))


def _paged(page: Page, key: str, items: list[Any]) -> TaxiiResponse:
    body: dict[str, Any] = {}
    if items:
        body["more"] = page.more
        if page.next is not None:
            body["next"] = page.next
        body[key] = items
    headers = {}
    if page.first_added is not None and page.last_added is not None:
        headers["X-TAXII-Date-Added-First"] = added_time(page.first_added)
        headers["X-TAXII-Date-Added-Last"] = added_time(page.last_added)
    return TaxiiResponse(body, headers=headers)


@_route("GET", f"{ROOT}/collections/{{collection_id}}/manifest/")
def manifest(
    principal: Caller, node: NodeDep, ctx: CtxDep, request: Request, collection_id: str
) -> TaxiiResponse:
    """The manifest of the object versions the caller may read (§5.6)."""
    filters = read_filters(request.query_params.multi_items(), Endpoint.MANIFEST)
    page = node.taxii.manifest(principal, ctx, collection_id, filters)
    entries = [
        {
            "id": v.object_id,
            "date_added": added_time(v.date_added),
            "version": stix_time(v.version),
            "media_type": MEDIA_STIX,
        }
        for v in page.items
    ]
    return _paged(page, "objects", entries)


@_route("GET", f"{ROOT}/collections/{{collection_id}}/objects/")
def get_objects(
    principal: Caller, node: NodeDep, ctx: CtxDep, request: Request, collection_id: str
) -> TaxiiResponse:
    """The object versions the caller may read, with their markings (§5.3)."""
    filters = read_filters(request.query_params.multi_items(), Endpoint.OBJECTS)
    page = node.taxii.objects(principal, ctx, collection_id, filters)
    return _paged(page, "objects", [v.stix for v in page.items])


async def _body(request: Request) -> bytes:
    return await request.body()


def _content_type(request: Request) -> None:
    kind, params = _media(request.headers.get("content-type", ""))
    if not _taxii_media(kind, params):
        raise InvalidInput(
            "objects are posted as application/taxii+json;version=2.1",
            code="unsupported_media_type",
            field="content-type",
            hint="send Content-Type: application/taxii+json;version=2.1",
        )


@_route("POST", f"{ROOT}/collections/{{collection_id}}/objects/")
def add_objects(
    principal: Caller,
    node: NodeDep,
    ctx: CtxDep,
    request: Request,
    collection_id: str,
    body: Annotated[bytes, Depends(_body)],
) -> TaxiiResponse:
    """Add the objects of an envelope (§5.4): 202 and the request's status resource."""
    _content_type(request)
    status = node.taxii.add_objects(principal, ctx, collection_id, body)
    return TaxiiResponse(_status(status), status_code=202)


@_route("GET", f"{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def get_object(
    principal: Caller,
    node: NodeDep,
    ctx: CtxDep,
    request: Request,
    collection_id: str,
    object_id: str,
) -> TaxiiResponse:
    """Versions of one object (§5.5; by default the last the caller may read); the
    marking definitions of what the caller reads are answered here too."""
    filters = read_filters(request.query_params.multi_items(), Endpoint.OBJECT)
    definition = node.taxii.definition(principal, collection_id, object_id)
    if definition is not None:
        return TaxiiResponse({"more": False, "objects": [definition]})
    page = node.taxii.get_object(principal, ctx, collection_id, object_id, filters)
    return _paged(page, "objects", [v.stix for v in page.items])


@_route("DELETE", f"{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/")
def delete_object(
    principal: Caller,
    node: NodeDep,
    ctx: CtxDep,
    request: Request,
    collection_id: str,
    object_id: str,
) -> Response:
    """Delete versions of one object (§5.7; by default every version the caller reads)."""
    filters = read_filters(request.query_params.multi_items(), Endpoint.DELETE)
    node.taxii.delete_object(principal, ctx, collection_id, object_id, filters)
    return Response(status_code=200, media_type=MEDIA_TAXII)


@_route("GET", f"{ROOT}/collections/{{collection_id}}/objects/{{object_id}}/versions/")
def versions(
    principal: Caller,
    node: NodeDep,
    ctx: CtxDep,
    request: Request,
    collection_id: str,
    object_id: str,
) -> TaxiiResponse:
    """The versions of one object the caller may read (§5.8)."""
    filters = read_filters(request.query_params.multi_items(), Endpoint.VERSIONS)
    page = node.taxii.versions(principal, ctx, collection_id, object_id, filters)
    return _paged(page, "versions", [stix_time(v.version) for v in page.items])


# --- the Caveat API: opening a collection ------------------------------------------


class CollectionIn(Strict):
    project: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=4000)
    default_label: str | None = Field(
        default=None,
        max_length=4000,
        description="the label of objects posted without a Caveat label (banner or "
        "canonical JSON); none: such objects are refused",
    )


class CollectionOut(BaseModel):
    id: str
    title: str
    description: str
    project_id: str
    can_read: bool
    can_write: bool
    media_types: list[str]
    url: str


@admin.post("/collections", response_model=CollectionOut, status_code=201)
def create_collection(
    body: CollectionIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep, request: Request
) -> CollectionOut:
    """Open a TAXII collection for a project (programme managers and security officers)."""
    now: datetime = node.uow.clock()
    label = (
        None
        if body.default_label is None
        else parse_label_text(body.default_label, node.policy, now)
    )
    made = node.taxii.create_collection(
        principal,
        ctx,
        project=body.project,
        title=body.title,
        description=body.description,
        default_label=label,
    )
    return CollectionOut(
        id=made.id,
        title=made.title,
        description=made.description,
        project_id=made.project_id,
        can_read=made.can_read,
        can_write=made.can_write,
        media_types=list(made.media_types),
        url=f"{_root_url(request)}collections/{made.id}/",
    )
