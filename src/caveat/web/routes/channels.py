"""Live channels in the browser (issue 21, ADR 0025): the channels a person may read,
opening one (programme managers, security officers), and one channel's live page.

The page shows the channel's kept messages the viewer may read, each with its own
portion mark, and follows the channel with an EventSource on the API's event stream
(``/static/channel.js``; the session cookie authenticates it like any API read). New
messages are decided by the policy for this viewer on the server, exactly as for any
API reader; before the script shows them it asks ``/channels/{id}/banner`` for the
roll-up of everything the page then holds, so the banner never reads lower than the
page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from caveat.domain.channels import MAX_BODY_CHARS, Retention
from caveat.domain.errors import CaveatError
from caveat.domain.labels import Label
from caveat.domain.permissions import Act
from caveat.services.channels import Window
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Principal
from caveat.web import forms
from caveat.web.banners import page_banner
from caveat.web.labelling import label_of
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
BASE = "/channels"
SHOWN = 200  # messages a page holds at most (the script drops the oldest beyond it)
SPAN = 2000  # event ids a banner request reads at most (wider: the viewer's highest level)
Short = Annotated[str, Form(max_length=300)]
LabelText = Annotated[str, Form(max_length=4000)]
Body = Annotated[str, Form(max_length=MAX_BODY_CHARS)]
EventId = Annotated[str, Query(max_length=66)]  # opaque; the service checks it


def _principal(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


@router.get(BASE)
def overview(request: Request, page: Page) -> HTMLResponse:
    """The channels the viewer may read, and the form to open one for those allowed."""
    return _overview(request, page)


def _overview(
    request: Request,
    page: PageContext,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    me = _principal(page)
    return render(
        request,
        "channels.html",
        page,
        status=status,
        channels=node.channels.channels(me),
        may_create=allowed(me, Act.CHANNEL_CREATE, now=node.uow.clock()),
        projects=node.projects.projects_of(me.person_id),
        error=error,
        form=form or {"name": "", "project": "", "programme": "", "description": ""},
    )


@router.post(BASE)
def create(
    request: Request,
    page: Page,
    name: Short = "",
    project: Short = "",
    programme: Short = "",
    description: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Open a channel of a project or a programme."""
    try:
        made = node_of(request).channels.create(
            _principal(page),
            ctx_of(request),
            name=name,
            project=project or None,
            programme=programme or None,
            description=description,
            retention=Retention(),
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        form = {"name": name, "project": project, "programme": programme}
        form["description"] = description
        return _overview(request, page, error=message, form=form, status=status)
    return forms.done(f"{BASE}/{made.id}", "channel opened")


@router.get(f"{BASE}/{{channel_id}}")
async def channel(request: Request, page: Page, channel_id: str) -> HTMLResponse:
    """One channel: the kept messages the viewer may read, then each new one, live."""
    return await _channel(request, page, channel_id)


async def _channel(
    request: Request,
    page: PageContext,
    channel_id: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    window = await node_of(request).channels.window(_principal(page), channel_id, span=SHOWN)
    for label in _labels(window):
        page.show(label)
    return render(
        request,
        "channel.html",
        page,
        status=status,
        w=window,
        c=window.channel,
        error=error,
        form=form or {"body": "", "label": "UNCLASSIFIED"},
    )


def _labels(window: Window) -> list[Label | None]:
    """What a page holding ``window`` shows; an incomplete window reads at the viewer's
    highest level (None), never lower than the page."""
    labels: list[Label | None] = [label_of(m.label_json) for m in window.messages]
    if not window.complete:
        labels.append(None)
    return labels


@router.post(f"{BASE}/{{channel_id}}/messages")
async def publish(
    request: Request, page: Page, channel_id: str, body: Body = "", label: LabelText = ""
) -> Response:
    """Publish a message under its own label."""
    try:
        await node_of(request).channels.publish(
            _principal(page), ctx_of(request), channel_id, label=label, body=body
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        form = {"body": body, "label": label}
        return await _channel(request, page, channel_id, error=message, form=form, status=status)
    return forms.done(f"{BASE}/{channel_id}", "message published")


@router.get(f"{BASE}/{{channel_id}}/banner")
async def banner(
    request: Request, page: Page, channel_id: str, after: EventId, upto: EventId
) -> JSONResponse:
    """The banner of a page holding the messages of (``after``, ``upto``] the viewer may
    read, decided now: what the live page's script shows before adding messages."""
    node = node_of(request)
    me = _principal(page)
    window = await node.channels.window(me, channel_id, after=after, upto=upto, span=SPAN)
    made = page_banner(node, me, _labels(window))
    return JSONResponse(
        {"text": made.text, "style": made.style, "note": made.note, "complete": made.complete},
        headers={"Cache-Control": "no-store"},
    )
