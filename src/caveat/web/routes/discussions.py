"""Labelled discussions in the browser (issue 21, ADR 0026): the discussions of one's
projects and artifacts, a discussion with its portion-marked messages, posting, editing
one's own messages and their history, and the messages that mention the reader.

Every read and change goes through the service the API and CLI use; a page shows only
what the service returned for this reader, and counts every label it shows towards the
banner, so the banner of one discussion differs from reader to reader.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from caveat.domain.discussions import MAX_TEXT
from caveat.domain.errors import CaveatError
from caveat.services.discussions import MessageHistory
from caveat.services.kernel.principal import Principal
from caveat.web import forms
from caveat.web.labelling import portion, style
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
BASE = "/discussions"
Short = Annotated[str, Form(max_length=300)]
Label = Annotated[str, Form(max_length=4000)]
Text = Annotated[str, Form(max_length=MAX_TEXT)]


def _principal(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


@router.get(BASE)
def overview(
    request: Request, page: Page, project: str | None = None, artifact: str | None = None
) -> HTMLResponse:
    """The discussions the reader sees (of one project or artifact), and their mentions."""
    return _overview(request, page, project=project or None, artifact=artifact or None)


def _overview(
    request: Request,
    page: PageContext,
    *,
    project: str | None,
    artifact: str | None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    node = node_of(request)
    me = _principal(page)
    found = node.discussions.discussions(me, project=project, artifact=artifact)
    for d in found:
        page.show(d.title_label)
    mentions = node.discussions.mentions(me)
    for m in mentions:
        page.show(m.label)
    return render(
        request,
        "discussions.html",
        page,
        status=status,
        discussions=found,
        mentions=mentions,
        projects=node.projects.projects_of(me.person_id),
        project=project,
        artifact=artifact,
        portion=portion,
        error=error,
        form=form
        or {
            "project": project or "",
            "title": "",
            "title_label": "UNCLASSIFIED",
            "text": "",
            "label": "UNCLASSIFIED",
        },
    )


@router.post(BASE)
def start(
    request: Request,
    page: Page,
    project: Short = "",
    artifact: Annotated[str, Form(max_length=36)] = "",
    title: Short = "",
    title_label: Label = "",
    text: Text = "",
    label: Label = "",
) -> Response:
    """Start a discussion of a project or an artifact."""
    try:
        made = node_of(request).discussions.start(
            _principal(page),
            ctx_of(request),
            project=None if artifact else project,
            artifact=artifact or None,
            title=title,
            title_label=title_label,
            text=text,
            label=label,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        form = {
            "project": project,
            "title": title,
            "title_label": title_label,
            "text": text,
            "label": label,
        }
        return _overview(
            request,
            page,
            project=None if artifact else project or None,
            artifact=artifact or None,
            error=message,
            form=form,
            status=status,
        )
    return forms.done(f"{BASE}/{made.id}", "discussion started")


@router.get(f"{BASE}/{{discussion_id}}")
def discussion(request: Request, page: Page, discussion_id: str) -> HTMLResponse:
    """One discussion with the messages the reader may read."""
    return _discussion(request, page, discussion_id)


def _discussion(
    request: Request,
    page: PageContext,
    discussion_id: str,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = node_of(request).discussions.discussion(_principal(page), discussion_id)
    for label in found.labels():
        page.show(label)
    return render(
        request,
        "discussion.html",
        page,
        status=status,
        d=found,
        portion=portion,
        style=style,
        error=error,
        form=form or {"text": "", "label": "UNCLASSIFIED"},
    )


@router.post(f"{BASE}/{{discussion_id}}/messages")
def post(
    request: Request, page: Page, discussion_id: str, text: Text = "", label: Label = ""
) -> Response:
    """Post a message with its own label."""
    try:
        node_of(request).discussions.post(
            _principal(page), ctx_of(request), discussion_id, text=text, label=label
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _discussion(
            request,
            page,
            discussion_id,
            error=message,
            form={"text": text, "label": label},
            status=status,
        )
    return forms.done(f"{BASE}/{discussion_id}", "message posted")


@router.post(f"{BASE}/messages/{{message_id}}/versions")
def edit(
    request: Request, page: Page, message_id: str, text: Text = "", label: Label = ""
) -> Response:
    """Edit one's own message (a new version; its label may tighten, never loosen)."""
    node = node_of(request)
    try:
        made = node.discussions.edit(
            _principal(page), ctx_of(request), message_id, text=text, label=label
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        history = node.discussions.history(_principal(page), message_id)
        return _history(request, page, message_id, error=message, status=status, h=history)
    return forms.done(f"{BASE}/{made.discussion_id}", "message edited")


@router.get(f"{BASE}/messages/{{message_id}}")
def history(request: Request, page: Page, message_id: str) -> HTMLResponse:
    """Every version of a message the reader may read (and the edit form for its author)."""
    found = node_of(request).discussions.history(_principal(page), message_id)
    return _history(request, page, message_id, h=found)


def _history(
    request: Request,
    page: PageContext,
    message_id: str,
    *,
    h: MessageHistory,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    for label in h.labels():
        page.show(label)
    last = h.versions[-1]
    return render(
        request,
        "discussion_history.html",
        page,
        status=status,
        h=h,
        mine=h.author == _principal(page).username,
        portion=portion,
        error=error,
        form={"text": last.text, "label": last.marking},
    )
