"""Labelled discussions (issue 21, ADR 0026) under ``/api/v1/discussions``.

Thin routes: parse, call one service method, render. Every answer holds only what the
caller may read; ``marking`` on a discussion is the roll-up of everything it shows this
caller (``bootstrap.marking``, as the page banner), so two readers of one discussion get
two markings. Labels travel as banner text (``SECRET//REL TO USA, GBR``) or canonical JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from caveat.api.deps import CtxDep, CurrentPrincipal, NodeDep
from caveat.api.schemas import Strict
from caveat.bootstrap.container import Node
from caveat.bootstrap.marking import marking_for
from caveat.domain.discussions import MAX_TEXT, MAX_TITLE
from caveat.domain.labels import Label
from caveat.services.discussions import (
    Discussion,
    DiscussionSummary,
    Message,
    MessageHistory,
    MessageVersion,
)
from caveat.services.kernel.principal import Principal

router = APIRouter(prefix="/api/v1/discussions", tags=["discussions"])

LABEL = Field(max_length=2000, description="a security label: banner text or canonical JSON")

# -- bodies ----------------------------------------------------------------------------


class StartIn(Strict):
    project: str | None = Field(None, max_length=200, description="a project's id or name")
    artifact: str | None = Field(None, max_length=36, description="an artifact's id")
    title: str = Field(max_length=MAX_TITLE)
    title_label: str = LABEL
    text: str = Field(max_length=MAX_TEXT, description="the first message")
    label: str = LABEL


class MessageIn(Strict):
    text: str = Field(max_length=MAX_TEXT, description="@username mentions a reader")
    label: str = LABEL


# -- answers ---------------------------------------------------------------------------


class VersionOut(BaseModel):
    id: str
    number: int = Field(description="among the versions you may read; 1 is as posted")
    marking: str = Field(description="the version's portion marking (its banner form)")
    text: str
    written_at: datetime
    mentions: list[str]


class MessageOut(BaseModel):
    id: str
    discussion_id: str
    author: str
    author_name: str
    posted_at: datetime
    edited: bool = Field(description="you may read more than one version")
    mine: bool
    current: VersionOut


class SummaryOut(BaseModel):
    id: str
    project_id: str
    project: str
    artifact_id: str | None
    artifact: str | None
    title: str
    title_marking: str
    started_by: str
    started_at: datetime
    messages: int = Field(description="the messages you may read")
    last_posted_at: datetime | None


class DiscussionOut(BaseModel):
    discussion: SummaryOut
    marking: str = Field(description="the roll-up of everything shown here, for you")
    messages: list[MessageOut]


class HistoryOut(BaseModel):
    discussion: SummaryOut
    message_id: str
    author: str
    marking: str
    versions: list[VersionOut]


class MentionOut(BaseModel):
    discussion_id: str
    discussion: str
    message_id: str
    version_id: str
    author: str
    written_at: datetime
    marking: str
    text: str


def _version(v: MessageVersion) -> VersionOut:
    return VersionOut(
        id=v.id,
        number=v.number,
        marking=v.marking,
        text=v.text,
        written_at=v.written_at,
        mentions=list(v.mentions),
    )


def _message(m: Message) -> MessageOut:
    return MessageOut(
        id=m.id,
        discussion_id=m.discussion_id,
        author=m.author,
        author_name=m.author_name,
        posted_at=m.posted_at,
        edited=m.edited,
        mine=m.mine,
        current=_version(m.current),
    )


def _summary(s: DiscussionSummary) -> SummaryOut:
    return SummaryOut(
        id=s.id,
        project_id=s.project_id,
        project=s.project,
        artifact_id=s.artifact_id,
        artifact=s.artifact,
        title=s.title,
        title_marking=s.title_marking,
        started_by=s.started_by,
        started_at=s.started_at,
        messages=s.messages,
        last_posted_at=s.last_posted_at,
    )


def _marking(node: Node, principal: Principal, labels: Iterable[Label]) -> str:
    marking = marking_for(node, principal, labels)
    return f"{marking.text} ({marking.note})" if marking.note else marking.text


def _discussion(node: Node, principal: Principal, d: Discussion) -> DiscussionOut:
    return DiscussionOut(
        discussion=_summary(d.summary),
        marking=_marking(node, principal, d.labels()),
        messages=[_message(m) for m in d.messages],
    )


# -- routes ----------------------------------------------------------------------------


@router.get("", response_model=list[SummaryOut])
def discussions(
    principal: CurrentPrincipal,
    node: NodeDep,
    project: str | None = Query(None, max_length=200),
    artifact: str | None = Query(None, max_length=36),
) -> list[SummaryOut]:
    """The discussions you may read (of one project or artifact when named), newest first."""
    found = node.discussions.discussions(principal, project=project, artifact=artifact)
    return [_summary(s) for s in found]


@router.post("", status_code=201, response_model=DiscussionOut)
def start(body: StartIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep) -> DiscussionOut:
    """Start a discussion of a project or of an artifact, with its first message."""
    made = node.discussions.start(
        principal,
        ctx,
        project=body.project,
        artifact=body.artifact,
        title=body.title,
        title_label=body.title_label,
        text=body.text,
        label=body.label,
    )
    return _discussion(node, principal, made)


@router.get("/mentions", response_model=list[MentionOut])
def mentions(principal: CurrentPrincipal, node: NodeDep) -> list[MentionOut]:
    """The messages that mention you and that you may read, newest first."""
    return [
        MentionOut(
            discussion_id=m.discussion_id,
            discussion=m.discussion,
            message_id=m.message_id,
            version_id=m.version_id,
            author=m.author,
            written_at=m.written_at,
            marking=m.marking,
            text=m.text,
        )
        for m in node.discussions.mentions(principal)
    ]


@router.get("/{discussion_id}", response_model=DiscussionOut)
def discussion(discussion_id: str, principal: CurrentPrincipal, node: NodeDep) -> DiscussionOut:
    """One discussion with the messages you may read, oldest first."""
    return _discussion(node, principal, node.discussions.discussion(principal, discussion_id))


@router.post("/{discussion_id}/messages", status_code=201, response_model=MessageOut)
def post(
    discussion_id: str, body: MessageIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> MessageOut:
    """Post a message with its own label."""
    made = node.discussions.post(principal, ctx, discussion_id, text=body.text, label=body.label)
    return _message(made)


@router.post("/messages/{message_id}/versions", status_code=201, response_model=MessageOut)
def edit(
    message_id: str, body: MessageIn, principal: CurrentPrincipal, node: NodeDep, ctx: CtxDep
) -> MessageOut:
    """Edit your own message: a new version whose label keeps or tightens the last one's."""
    made = node.discussions.edit(principal, ctx, message_id, text=body.text, label=body.label)
    return _message(made)


@router.get("/messages/{message_id}/versions", response_model=HistoryOut)
def history(message_id: str, principal: CurrentPrincipal, node: NodeDep) -> HistoryOut:
    """Every version of a message you may read, oldest first."""
    h: MessageHistory = node.discussions.history(principal, message_id)
    return HistoryOut(
        discussion=_summary(h.discussion),
        message_id=h.message_id,
        author=h.author,
        marking=_marking(node, principal, h.labels()),
        versions=[_version(v) for v in h.versions],
    )
