"""Discussions as the service hands them out: only what the reader may read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from caveat.domain.labels import Label


@dataclass(frozen=True, slots=True)
class MessageVersion:
    """One version of a message as this reader reads it. ``number`` counts the versions
    this reader may read (1 is the message as posted), never the stored ones."""

    id: str
    number: int
    label: Label
    marking: str
    text: str
    written_at: datetime
    mentions: tuple[str, ...]  # usernames


@dataclass(frozen=True, slots=True)
class Message:
    """A message: its author and the last version the reader may read; ``edited`` when
    the reader may read more than one version."""

    id: str
    discussion_id: str
    author: str
    author_name: str
    posted_at: datetime
    current: MessageVersion
    edited: bool
    mine: bool


@dataclass(frozen=True, slots=True)
class DiscussionSummary:
    """A discussion as a list shows it; ``messages`` and ``last_posted_at`` count what the
    reader may read only."""

    id: str
    project_id: str
    project: str
    artifact_id: str | None
    artifact: str | None  # the artifact's title
    title: str
    title_label: Label
    title_marking: str
    started_by: str
    started_at: datetime
    messages: int
    last_posted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Discussion:
    """A discussion with the messages the reader may read, oldest first."""

    summary: DiscussionSummary
    messages: tuple[Message, ...]

    @property
    def id(self) -> str:
        return self.summary.id

    def labels(self) -> Iterator[Label]:
        """Every label the reader is shown: the title's and each message's (its banner is
        their roll-up)."""
        yield self.summary.title_label
        for message in self.messages:
            yield message.current.label


@dataclass(frozen=True, slots=True)
class MessageHistory:
    """Every version of a message the reader may read, oldest first."""

    discussion: DiscussionSummary
    message_id: str
    author: str
    versions: tuple[MessageVersion, ...]

    def labels(self) -> Iterator[Label]:
        yield self.discussion.title_label
        for version in self.versions:
            yield version.label


@dataclass(frozen=True, slots=True)
class Mention:
    """A message version that mentions the reader (and that they may still read)."""

    discussion_id: str
    discussion: str  # its title
    message_id: str
    version_id: str
    author: str
    written_at: datetime
    label: Label
    marking: str
    text: str
