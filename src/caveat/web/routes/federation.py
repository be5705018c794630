"""Partner nodes: peering by descriptor and fingerprint, who receives releases, the dry
run of a release, and a signed hello (issue 18, ADR 0019).

Every change is the federation service's, with its permission check: an operator
records a descriptor, a security officer who did not record it accepts it by the
fingerprint compared out of band and says who receives what is released to it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from caveat.domain.errors import CaveatError, ErrorKind, PermissionDenied
from caveat.domain.identity import CommonLevel, Role
from caveat.services.compliance import Agreement
from caveat.services.kernel.principal import Principal
from caveat.web import forms
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
Short = Annotated[str, Form(max_length=200)]
Reason = Annotated[str, Form(max_length=2000)]
# A peer that cannot be reached is something to show in the page, not an error page.
_SHOWN = forms.FIXABLE | {ErrorKind.UNAVAILABLE, ErrorKind.INTEGRITY}


def _me(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


@router.get("/federation")
def peers(request: Request, page: Page) -> HTMLResponse:
    """Every partner node with what can be done to it by the viewer's roles."""
    return _peers(request, page)


def _peers(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    error_in: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node, me = node_of(request), _me(page)
    found = node.federation.peers(me)
    nations = {p.nation for p in found}
    links = {link.peer_id: link for link in node.federation_sync.links(me)}
    operating = node.federation.node_organisation(me)
    # Accepting a peer's keys, who receives releases and ending a peering are for the
    # operating organisation's officers: offer those forms to them only (the service
    # decides either way).
    node_officer = (
        operating is not None
        and me.person.organisation_id == operating.id
        and Role.SECURITY_OFFICER in me.roles
    )
    return render(
        request,
        "federation.html",
        page,
        status=status,
        peers=found,
        organisations=sorted(
            (o for o in forms.organisations(request).values() if o.nation in nations),
            key=lambda o: (o.nation, o.name),
        ),
        agreements=_agreements_in_force(request, me),
        levels=[level.name.replace("_", " ") for level in CommonLevel],
        links=links,
        node_officer=node_officer,
        received=node.federation_received.list(me),
        recalls=node.federation_releases.recalls.recalls(me),
        re_releases=node.federation_releases.re_releases.requests(me),
        error=error,
        error_in=error_in,
        values=values or {},
    )


def _agreements_in_force(request: Request, me: Principal) -> list[Agreement] | None:
    """The agreements to choose from, or None for a viewer who may not list them (an
    operator names them instead)."""
    try:
        listed = node_of(request).agreements.list_agreements(me)
    except PermissionDenied:
        return None
    return [a for a in listed if a.status == "in_force"]


def _refused(
    request: Request, page: PageContext, exc: CaveatError, where: str, values: dict[str, str]
) -> HTMLResponse:
    message, code = forms.refusal(exc, _SHOWN, field=False)
    return _peers(request, page, error=message, error_in=where, values=values, status=code)


@router.post("/federation")
def propose(
    request: Request, page: Page, descriptor: Annotated[str, Form(max_length=8192)] = ""
) -> Response:
    """Record a partner's descriptor (pasted as its operator handed it over)."""
    try:
        made = node_of(request).federation.propose(_me(page), ctx_of(request), descriptor)
    except CaveatError as exc:
        return _refused(request, page, exc, "propose", {"descriptor": descriptor})
    return forms.done(
        "/federation",
        f"Peer {made.name} recorded. A security officer compares fingerprint "
        f"{made.fingerprint} with its operator by another channel, then accepts it.",
    )


@router.post("/federation/{peer}/accept")
def accept(request: Request, peer: str, page: Page, fingerprint: Short = "") -> Response:
    """Accept a proposed peer, or a peer's new keys, by the fingerprint compared."""
    service = node_of(request).federation
    try:
        current = service.peer(_me(page), peer)
        confirm = service.accept_keys if current.status == "rotating" else service.accept
        made = confirm(_me(page), ctx_of(request), peer, fingerprint)
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {"fingerprint": fingerprint})
    return forms.done("/federation", f"Peer {made.name} is active.")


@router.post("/federation/{peer}/recipient")
def recipient(
    request: Request, peer: str, page: Page, organisation: Short = "", accredited: Short = ""
) -> Response:
    """Say which organisation receives what is released to the peer, and how high."""
    try:
        made = node_of(request).federation.set_recipient(
            _me(page), ctx_of(request), peer, organisation=organisation, accredited=accredited
        )
    except CaveatError as exc:
        values = {"organisation": organisation, "accredited": accredited}
        return _refused(request, page, exc, peer, values)
    return forms.done(
        "/federation",
        f"Releases to {made.name} go to {made.recipient_organisation}, "
        f"up to {made.accredited_level.upper()}.",
    )


@router.post("/federation/{peer}/receiving-project")
def receiving_project(request: Request, peer: str, page: Page, project: Short = "") -> Response:
    """The local project what the peer releases here becomes artifacts of (empty: none)."""
    try:
        made = node_of(request).federation.set_receiving_project(
            _me(page), ctx_of(request), peer, project.strip() or None
        )
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {"project": project})
    where = made.receiving_project or "no project: received items stay sealed"
    return forms.done("/federation", f"What {made.name} releases here goes into {where}.")


@router.post("/federation/{peer}/agreements")
def agreements(
    request: Request,
    peer: str,
    page: Page,
    agreement: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:
    """The agreements exchange with the peer happens under (none: exchange stops)."""
    try:
        made = node_of(request).federation.set_agreements(
            _me(page), ctx_of(request), peer, [a for a in agreement or [] if a.strip()]
        )
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {})
    named = ", ".join(made.agreements) or "no agreement: nothing can be released to it"
    return forms.done("/federation", f"Peer {made.name} is under {named}.")


@router.post("/federation/{peer}/revoke")
def revoke(request: Request, peer: str, page: Page, reason: Reason = "") -> Response:
    """End a peering for good."""
    try:
        made = node_of(request).federation.revoke(_me(page), ctx_of(request), peer, reason=reason)
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {"reason": reason})
    return forms.done("/federation", f"Peering with {made.name} ended.")


@router.post("/federation/{peer}/hello")
def hello(request: Request, peer: str, page: Page) -> Response:
    """Send the peer a signed hello and say who answered."""
    try:
        answer = node_of(request).federation.hello(_me(page), peer)
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {})
    return forms.done(
        "/federation",
        f"{answer.name} answered as the node peered ({answer.node_id}); it knows this node "
        f"as {answer.you_are}.",
    )


@router.get("/federation/{peer}/preview")
def preview(
    request: Request,
    peer: str,
    page: Page,
    after: Annotated[str | None, Query(max_length=36)] = None,
) -> HTMLResponse:
    """What the peer would receive of what the viewer may see, and why not the rest."""
    found = node_of(request).federation.preview(_me(page), peer, after=after)
    return render(request, "federation_preview.html", page, preview=found, peer_ref=peer)


@router.post("/federation/{peer}/sync")
def sync(request: Request, peer: str, page: Page) -> Response:
    """Sync with the peer now: a signed hello, its cosignature, what it released to us."""
    try:
        link = node_of(request).federation_sync.sync_now(_me(page), ctx_of(request), peer)
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {})
    if link.up:
        return forms.done("/federation", f"Synced with {link.peer}.")
    return forms.done("/federation", f"Sync with {link.peer} failed: {link.last_error}")


@router.post("/federation/{peer}/release")
def release(
    request: Request, peer: str, page: Page, artifact: Short = "", key_mode: Short = "offline"
) -> Response:
    """Release an artifact to the peer (the originating organisation's officer), offline
    (the default) or with a key split this node keeps (ADR 0033)."""
    try:
        sent = node_of(request).federation_releases.send(
            _me(page), ctx_of(request), peer, artifact.strip(), key_mode=key_mode
        )
    except CaveatError as exc:
        return _refused(request, page, exc, peer, {"artifact": artifact, "key_mode": key_mode})
    split = (
        " Split key: it opens there only after the peer obtains this node's split."
        if sent.key_mode == "split"
        else ""
    )
    return forms.done(
        "/federation",
        f"Packaged for {sent.peer}: it waits in the outbox until the peer pulls it.{split}",
    )


@router.post("/federation/received/{item}/open")
def open_split(request: Request, item: str, page: Page) -> Response:
    """First open of a split-mode item: obtain its originating node's key split."""
    try:
        made = node_of(request).federation_releases.open_split(_me(page), ctx_of(request), item)
    except CaveatError as exc:
        return _refused(request, page, exc, item, {})
    where = "it is now a local artifact" if made.artifact_id else "it stays sealed here"
    return forms.done("/federation", f"Opened with its originator's key split: {where}.")


@router.post("/federation/{peer}/recall")
def recall(
    request: Request,
    peer: str,
    page: Page,
    artifact: Short = "",
    reason: Short = "",
    detail: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Recall what was released of an artifact to the peer, with the reason."""
    try:
        made = node_of(request).federation_releases.recalls.recall(
            _me(page), ctx_of(request), peer, artifact.strip(), reason=reason, detail=detail
        )
    except CaveatError as exc:
        values = {"artifact": artifact, "reason": reason, "detail": detail}
        return _refused(request, page, exc, peer, values)
    return forms.done(
        "/federation",
        f"Recalled from {made.peer}: it hides the item on its next sync and confirms.",
    )


@router.post("/federation/received/{item}/re-release")
def request_re_release(
    request: Request,
    item: str,
    page: Page,
    nation: Annotated[str, Form(max_length=3)] = "",
    peer: Annotated[str, Form(max_length=120)] = "",
    justification: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Ask a received item's originating node to release it to a third nation."""
    try:
        made = node_of(request).federation_releases.re_releases.request(
            _me(page), ctx_of(request), item, nation=nation, peer=peer, justification=justification
        )
    except CaveatError as exc:
        values = {"nation": nation, "peer": peer, "justification": justification}
        return _refused(request, page, exc, item, values)
    sent = "it has the request" if made.delivered else "the request goes on the next sync"
    return forms.done(
        "/federation",
        f"Asked {made.peer} to re-release the item to {made.nation}: {sent}; it decides.",
    )


@router.post("/federation/re-releases/{request_id}/approve")
def approve_re_release(request: Request, request_id: str, page: Page) -> Response:
    """Approve a peer's re-release request: this node releases the item to the third
    node, if the policy permits it."""
    try:
        made = node_of(request).federation_releases.re_releases.decide(
            _me(page), ctx_of(request), request_id, approve=True
        )
    except CaveatError as exc:
        return _refused(request, page, exc, "re-release", {})
    return forms.done(
        "/federation",
        f"Released to {made.released_to}; {made.peer} learns the decision on its next sync.",
    )


@router.post("/federation/re-releases/{request_id}/refuse")
def refuse_re_release(
    request: Request, request_id: str, page: Page, reason: Annotated[str, Form(max_length=500)] = ""
) -> Response:
    """Refuse a peer's re-release request, saying why."""
    try:
        made = node_of(request).federation_releases.re_releases.decide(
            _me(page), ctx_of(request), request_id, approve=False, reason=reason
        )
    except CaveatError as exc:
        return _refused(request, page, exc, "re-release", {})
    return forms.done(
        "/federation",
        f"Refused; {made.peer} learns the decision on its next sync.",
    )
