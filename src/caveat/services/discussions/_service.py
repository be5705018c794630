"""The discussion service: start, post, edit, and read what the policy lets each reader read.

Every method takes the principal first and checks the permission table first
(``Act.DISCUSSION_*``). Writes commit with their ledger events, which carry a commitment
to the text (``domain/discussions.py``), never the text. Rules of a write:

- every title and message carries its own label, read by the one label validator
  (``parse_label_text``: banner, portion or canonical JSON), originated by the author's
  organisation; nobody writes above what they may read themselves (``label_above_reader``);
- a mention names someone who may read the message (its discussion, artifact and label,
  decided for them as if they had just proved their second factor); anyone else, known
  here or not, is refused with one answer (``mention_refused``);
- an edit is a new version by the message's author whose label dominates the last one's
  (``edit_loosens_label`` otherwise: loosening is a release).
"""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import OrganisationRow, PersonRow
from caveat.adapters.db.models.artifacts import ArtifactRow
from caveat.adapters.db.models.discussions import (
    DiscussionMentionRow,
    DiscussionMessageRow,
    DiscussionRow,
    DiscussionVersionRow,
)
from caveat.adapters.db.models.policy import ProjectRow
from caveat.domain.discussions import (
    MAX_MENTIONS,
    MAX_TEXT,
    MAX_TITLE,
    SALT_BYTES,
    mentions,
    text_commitment,
)
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.labels import (
    Label,
    Originator,
    dominates,
    label_from_canonical_json,
    label_to_canonical_json,
)
from caveat.domain.names import clean_name
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, decide
from caveat.services.artifacts import banner_of, parse_label_text
from caveat.services.discussions._access import (
    Reader,
    artifact_missing,
    message_missing,
    project_missing,
    reader_of,
    resource,
)
from caveat.services.discussions._views import (
    Discussion,
    DiscussionSummary,
    Mention,
    Message,
    MessageHistory,
    MessageVersion,
)
from caveat.services.identity import person_view
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.policy import PolicyService
from caveat.services.projects import find_project


@dataclass(frozen=True, slots=True)
class _Written:
    """A label and text checked for writing."""

    label: Label
    label_json: str
    text: str


def _text(text: str, *, field: str = "text") -> str:
    """A message's text as stored: as written, but not blank and not too long."""
    if not text.strip():
        raise InvalidInput("a message needs some text", code="invalid_input", field=field)
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"a message has at most {MAX_TEXT} characters", code="invalid_input", field=field
        )
    return text


def _salt() -> str:
    return secrets.token_bytes(SALT_BYTES).hex()


def _hash(salt: str, text: str) -> str:
    return text_commitment(bytes.fromhex(salt), text)


class DiscussionService:
    """Labelled discussions of projects and artifacts, read per reader under the policy."""

    def __init__(self, *, uow: UnitOfWorkFactory, policy: PolicyService) -> None:
        self._uow = uow
        self._policy = policy

    # writes

    def start(
        self,
        by: Principal,
        ctx: CallContext,
        *,
        title: str,
        title_label: str,
        text: str,
        label: str,
        project: str | None = None,
        artifact: str | None = None,
    ) -> Discussion:
        """A new discussion of ``project`` or of ``artifact`` (one of them), with its
        labelled title and first message."""
        authorize(by, Act.DISCUSSION_POST, now=self._uow.clock())
        if (project is None) == (artifact is None):
            raise InvalidInput(
                "a discussion is of a project or of an artifact: name one of them",
                code="invalid_input",
                field="project",
            )
        title = clean_name(title, field="title", what="a title", shortest=1, longest=MAX_TITLE)
        text = _text(text)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            if artifact is not None:
                if not reader.may_read_artifact(artifact):
                    raise artifact_missing(artifact)
                row = uow.session.get(ArtifactRow, artifact)
                assert row is not None  # readable means stored
                project_id = row.project_id
            else:
                assert project is not None
                found = find_project(uow.session, project)
                if found.id not in reader.projects:
                    raise project_missing(project)
                project_id = found.id
            heading = self._checked(uow, by, reader, project_id, title_label, title, "title_label")
            discussion = DiscussionRow(
                id=str(uuid.uuid4()),
                project_id=project_id,
                artifact_id=artifact,
                title=title,
                title_label_json=heading.label_json,
                title_salt=_salt(),
                originator_org_id=by.person.organisation_id,
                started_by=by.person_id,
                started_at=uow.now,
            )
            uow.session.add(discussion)
            uow.record(
                "discussion.started",
                by.actor(),
                target_id=discussion.id,
                data={
                    "project_id": project_id,
                    "artifact_id": artifact,
                    "label": heading.label_json,
                    "title_sha256": _hash(discussion.title_salt, title),
                },
            )
            self._post_in(uow, by, reader, discussion, label, text)
            uow.session.flush()
            return self._discussion(uow.session, reader, discussion, by.person_id)

    def post(
        self, by: Principal, ctx: CallContext, discussion_id: str, *, text: str, label: str
    ) -> Message:
        """A new message in a discussion the caller sees."""
        authorize(by, Act.DISCUSSION_POST, now=self._uow.clock())
        text = _text(text)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            reader.discussion(discussion_id)
            # One writer at a time per discussion: positions follow each other.
            discussion = uow.session.scalar(
                select(DiscussionRow).where(DiscussionRow.id == discussion_id).with_for_update()
            )
            assert discussion is not None
            message = self._post_in(uow, by, reader, discussion, label, text)
            uow.session.flush()
            return self._message_view(uow.session, reader, message, by.person_id)

    def edit(
        self, by: Principal, ctx: CallContext, message_id: str, *, text: str, label: str
    ) -> Message:
        """A new version of the caller's own message; its label keeps or tightens the last
        version's (a looser one is a release: ``edit_loosens_label``)."""
        text = _text(text)
        with self._uow(ctx) as uow:
            reader = self._reader(uow.session, by, uow.now)
            message, discussion, _ = self._visible_message(uow.session, reader, message_id)
            authorize(by, Act.DISCUSSION_EDIT, Target(person_id=message.author_id), now=uow.now)
            last = uow.session.scalar(
                select(DiscussionVersionRow)
                .where(DiscussionVersionRow.message_id == message.id)
                .order_by(DiscussionVersionRow.version.desc())
                .limit(1)
            )
            assert last is not None
            written = self._checked(uow, by, reader, discussion.project_id, label, text, "label")
            env = self._policy.environment()
            before = reader.label(last.label_json)
            if not dominates(
                written.label,
                before,
                groups=env.groups,
                on=uow.now.date(),
                schemes=self._policy.schemes,
            ):
                raise PermissionDenied(
                    "an edit may keep or tighten the message's label, never loosen it",
                    code="edit_loosens_label",
                    hint="a looser label is a release: ask for one through the release workflow",
                )
            if written.text == last.text and written.label_json == last.label_json:
                raise InvalidInput("the edit changes nothing", code="invalid_input", field="text")
            mentioned = self._mentions(uow.session, reader, discussion, written, uow.now)
            version = self._version_in(uow, message.id, last.version + 1, written, mentioned)
            uow.record(
                "discussion.message_edited",
                by.actor(),
                target_id=discussion.id,
                data={
                    "message_id": message.id,
                    "version_id": version.id,
                    "version": version.version,
                    "label": written.label_json,
                    "text_sha256": version.text_sha256,
                    "mentions": sorted(p.id for p in mentioned),
                },
            )
            uow.session.flush()
            return self._message_view(uow.session, reader, message, by.person_id)

    # reads

    def discussions(
        self, by: Principal, *, project: str | None = None, artifact: str | None = None
    ) -> list[DiscussionSummary]:
        """The discussions the caller sees, newest activity first; of one project or one
        artifact when named (one the caller may not see lists nothing)."""
        authorize(by, Act.DISCUSSION_READ)
        with self._uow.read() as session:
            reader = self._reader(session, by, self._uow.clock())
            query = select(DiscussionRow).where(
                DiscussionRow.project_id.in_(sorted(reader.projects))
            )
            if artifact is not None:
                query = query.where(DiscussionRow.artifact_id == artifact)
            if project is not None:
                ids = select(ProjectRow.id).where(
                    (ProjectRow.id == project) | (ProjectRow.name == project)
                )
                query = query.where(DiscussionRow.project_id.in_(ids))
            rows = [r for r in session.scalars(query) if reader.sees(r)]
            summaries = self._summaries(session, reader, rows)
            return sorted(
                summaries,
                key=lambda s: (s.last_posted_at or s.started_at, s.id),
                reverse=True,
            )

    def discussion(self, by: Principal, discussion_id: str) -> Discussion:
        """One discussion with the messages the caller may read."""
        authorize(by, Act.DISCUSSION_READ)
        with self._uow.read() as session:
            reader = self._reader(session, by, self._uow.clock())
            row = reader.discussion(discussion_id)
            return self._discussion(session, reader, row, by.person_id)

    def history(self, by: Principal, message_id: str) -> MessageHistory:
        """Every version of a message the caller may read, oldest first."""
        authorize(by, Act.DISCUSSION_READ)
        with self._uow.read() as session:
            reader = self._reader(session, by, self._uow.clock())
            message, discussion, readable = self._visible_message(session, reader, message_id)
            summary = self._summaries(session, reader, [discussion])[0]
            author = session.get(PersonRow, message.author_id)
            assert author is not None
            views = self._version_views(session, readable)
            return MessageHistory(summary, message.id, author.username, tuple(views))

    def mentions(self, by: Principal) -> list[Mention]:
        """The message versions that mention the caller and that they may read now,
        newest first."""
        authorize(by, Act.DISCUSSION_READ)
        with self._uow.read() as session:
            reader = self._reader(session, by, self._uow.clock())
            rows = session.execute(
                select(DiscussionVersionRow, DiscussionMessageRow, DiscussionRow, PersonRow)
                .join(
                    DiscussionMentionRow,
                    DiscussionMentionRow.version_id == DiscussionVersionRow.id,
                )
                .join(
                    DiscussionMessageRow,
                    DiscussionMessageRow.id == DiscussionVersionRow.message_id,
                )
                .join(DiscussionRow, DiscussionRow.id == DiscussionMessageRow.discussion_id)
                .join(PersonRow, PersonRow.id == DiscussionMessageRow.author_id)
                .where(DiscussionMentionRow.person_id == by.person_id)
                .order_by(DiscussionVersionRow.written_at.desc(), DiscussionVersionRow.id)
            ).all()
            found: list[Mention] = []
            for version, message, discussion, author in rows:
                if not (
                    discussion.project_id in reader.projects
                    and reader.sees(discussion)
                    and self._readable(reader, discussion, message, version)
                ):
                    continue
                label = reader.label(version.label_json)
                found.append(
                    Mention(
                        discussion.id,
                        discussion.title,
                        message.id,
                        version.id,
                        author.username,
                        version.written_at,
                        label,
                        banner_of(label, self._policy.schemes),
                        version.text,
                    )
                )
            return found

    # helpers: writing

    def _reader(self, session: Session, by: Principal, now: datetime) -> Reader:
        return reader_of(session, self._policy, by.person, by.mfa_at, now)

    def _checked(
        self,
        uow: UnitOfWork,
        by: Principal,
        reader: Reader,
        project_id: str,
        label_text: str,
        text: str,
        field: str,
    ) -> _Written:
        """The label as it will be stored: read by the one validator, originated by the
        author's organisation, and one the author may read themselves."""
        if not label_text.strip():
            raise InvalidInput(
                "every title and message needs a security label",
                code="label_required",
                field=field,
                hint='for example "UNCLASSIFIED" or "SECRET//REL TO USA, GBR"',
            )
        try:
            label = parse_label_text(label_text, self._policy, uow.now)
        except InvalidInput as exc:
            exc.field = field
            raise
        org = uow.session.get(OrganisationRow, by.person.organisation_id)
        assert org is not None
        if label.originator is None:
            label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
        elif label.originator.nation != org.nation:
            raise InvalidInput(
                f"the label names an originator of {label.originator.nation}; "
                f"your organisation is of {org.nation}",
                code="originator_mismatch",
                field=field,
            )
        if label.created_at is None:
            label = replace(label, created_at=uow.now)
        draft = resource(
            self._policy, id=str(uuid.uuid4()), project_id=project_id, label=label, org_id=org.id
        )
        decision = decide(reader.subject, Action.READ, draft, reader.context)
        if not decision.permitted:
            raise PermissionDenied(
                "you may not write anything labelled above what you may read yourself",
                code="label_above_reader",
                data={"failed": decision.failed_codes},
                hint="choose a label whose requirements you meet: "
                + ", ".join(decision.failed_codes),
            )
        return _Written(label, label_to_canonical_json(label).decode(), text)

    def _mentions(
        self,
        session: Session,
        reader: Reader,
        discussion: DiscussionRow,
        written: _Written,
        now: datetime,
    ) -> list[PersonRow]:
        """The people ``written`` mentions, each of whom may read it; ``mention_refused``
        for the first who may not (or is not known: the same answer)."""
        names = mentions(written.text)
        if len(names) > MAX_MENTIONS:
            raise InvalidInput(
                f"a message mentions at most {MAX_MENTIONS} people",
                code="invalid_input",
                field="text",
            )
        people: list[PersonRow] = []
        for name in names:
            row = session.scalar(select(PersonRow).where(PersonRow.username == name))
            if row is None or not self._may_be_told(session, row, discussion, written, now):
                raise InvalidInput(
                    f"@{name} cannot be mentioned here: mention only people who may read "
                    "this message",
                    code="mention_refused",
                    field="text",
                    data={"username": name},
                    hint="remove the mention, or post what they may read in a message of its own",
                )
            people.append(row)
        return people

    def _may_be_told(
        self,
        session: Session,
        row: PersonRow,
        discussion: DiscussionRow,
        written: _Written,
        now: datetime,
    ) -> bool:
        """Whether the person may read the discussion and this message (their second
        factor taken as fresh: a mention is for when they next sign in)."""
        them = reader_of(session, self._policy, person_view(row, now), now, now)
        if not them.sees(discussion):
            return False
        message = resource(
            self._policy,
            id=str(uuid.uuid4()),
            project_id=discussion.project_id,
            label=written.label,
            org_id=discussion.originator_org_id,
        )
        return decide(them.subject, Action.READ, message, them.context).permitted

    def _post_in(
        self,
        uow: UnitOfWork,
        by: Principal,
        reader: Reader,
        discussion: DiscussionRow,
        label: str,
        text: str,
    ) -> DiscussionMessageRow:
        written = self._checked(uow, by, reader, discussion.project_id, label, text, "label")
        mentioned = self._mentions(uow.session, reader, discussion, written, uow.now)
        last = uow.session.scalar(
            select(func.max(DiscussionMessageRow.position)).where(
                DiscussionMessageRow.discussion_id == discussion.id
            )
        )
        message = DiscussionMessageRow(
            id=str(uuid.uuid4()),
            discussion_id=discussion.id,
            position=(last or 0) + 1,
            author_id=by.person_id,
            author_org_id=by.person.organisation_id,
            posted_at=uow.now,
        )
        uow.session.add(message)
        uow.session.flush()
        version = self._version_in(uow, message.id, 1, written, mentioned)
        uow.record(
            "discussion.message_posted",
            by.actor(),
            target_id=discussion.id,
            data={
                "message_id": message.id,
                "version_id": version.id,
                "label": written.label_json,
                "text_sha256": version.text_sha256,
                "mentions": sorted(p.id for p in mentioned),
            },
        )
        return message

    def _version_in(
        self,
        uow: UnitOfWork,
        message_id: str,
        number: int,
        written: _Written,
        mentioned: Sequence[PersonRow],
    ) -> DiscussionVersionRow:
        salt = _salt()
        version = DiscussionVersionRow(
            id=str(uuid.uuid4()),
            message_id=message_id,
            version=number,
            label_json=written.label_json,
            text=written.text,
            text_salt=salt,
            text_sha256=_hash(salt, written.text),
            written_at=uow.now,
        )
        uow.session.add(version)
        uow.session.flush()
        for person in mentioned:
            uow.session.add(DiscussionMentionRow(version_id=version.id, person_id=person.id))
        return version

    # helpers: reading

    @staticmethod
    def _readable(
        reader: Reader,
        discussion: DiscussionRow,
        message: DiscussionMessageRow,
        version: DiscussionVersionRow,
    ) -> bool:
        return reader.may_read(
            version.id, discussion.project_id, version.label_json, message.author_org_id
        )

    def _visible_message(
        self, session: Session, reader: Reader, message_id: str
    ) -> tuple[DiscussionMessageRow, DiscussionRow, list[DiscussionVersionRow]]:
        """A message, its discussion and the versions the reader may read (oldest
        first); the "not found" of a missing message when there are none."""
        message = session.get(DiscussionMessageRow, message_id)
        if message is None:
            raise message_missing(message_id)
        discussion = session.get(DiscussionRow, message.discussion_id)
        if discussion is None or not reader.sees(discussion):
            raise message_missing(message_id)
        versions = session.scalars(
            select(DiscussionVersionRow)
            .where(DiscussionVersionRow.message_id == message.id)
            .order_by(DiscussionVersionRow.version)
        ).all()
        readable = [v for v in versions if self._readable(reader, discussion, message, v)]
        if not readable:
            raise message_missing(message_id)
        return message, discussion, readable

    def _version_views(
        self, session: Session, versions: Sequence[DiscussionVersionRow]
    ) -> list[MessageVersion]:
        """Views of readable versions, numbered among themselves."""
        mentioned: dict[str, list[str]] = defaultdict(list)
        if versions:
            for version_id, username in session.execute(
                select(DiscussionMentionRow.version_id, PersonRow.username)
                .join(PersonRow, PersonRow.id == DiscussionMentionRow.person_id)
                .where(DiscussionMentionRow.version_id.in_([v.id for v in versions]))
                .order_by(PersonRow.username)
            ):
                mentioned[version_id].append(username)
        views = []
        for number, v in enumerate(versions, start=1):
            label = self._label(v.label_json)
            views.append(
                MessageVersion(
                    v.id,
                    number,
                    label,
                    banner_of(label, self._policy.schemes),
                    v.text,
                    v.written_at,
                    tuple(mentioned[v.id]),
                )
            )
        return views

    def _label(self, canonical: str) -> Label:
        return label_from_canonical_json(
            canonical.encode(), schemes=self._policy.schemes, check_rules=False
        )

    def _readable_messages(
        self, session: Session, reader: Reader, discussions: Iterable[DiscussionRow]
    ) -> dict[str, list[tuple[DiscussionMessageRow, list[DiscussionVersionRow]]]]:
        """Per discussion, its messages with the versions the reader may read (oldest
        first), leaving out messages with none."""
        by_id = {d.id: d for d in discussions}
        found: dict[str, list[tuple[DiscussionMessageRow, list[DiscussionVersionRow]]]] = {
            d: [] for d in by_id
        }
        if not by_id:
            return found
        rows = session.execute(
            select(DiscussionMessageRow, DiscussionVersionRow)
            .join(DiscussionVersionRow, DiscussionVersionRow.message_id == DiscussionMessageRow.id)
            .where(DiscussionMessageRow.discussion_id.in_(sorted(by_id)))
            .order_by(
                DiscussionMessageRow.discussion_id,
                DiscussionMessageRow.position,
                DiscussionVersionRow.version,
            )
        ).all()
        current: dict[str, tuple[DiscussionMessageRow, list[DiscussionVersionRow]]] = {}
        for message, version in rows:
            entry = current.get(message.id)
            if entry is None:
                entry = current[message.id] = (message, [])
                found[message.discussion_id].append(entry)
            if self._readable(reader, by_id[message.discussion_id], message, version):
                entry[1].append(version)
        return {d: [(m, vs) for m, vs in items if vs] for d, items in found.items()}

    def _summaries(
        self, session: Session, reader: Reader, rows: Sequence[DiscussionRow]
    ) -> list[DiscussionSummary]:
        messages = self._readable_messages(session, reader, rows)
        projects: dict[str, str] = {
            k: v
            for k, v in session.execute(
                select(ProjectRow.id, ProjectRow.name).where(
                    ProjectRow.id.in_({r.project_id for r in rows})
                )
            )
        }
        artifacts: dict[str, str] = {
            k: v
            for k, v in session.execute(
                select(ArtifactRow.id, ArtifactRow.title).where(
                    ArtifactRow.id.in_({r.artifact_id for r in rows if r.artifact_id})
                )
            )
        }
        starters: dict[str, str] = {
            k: v
            for k, v in session.execute(
                select(PersonRow.id, PersonRow.username).where(
                    PersonRow.id.in_({r.started_by for r in rows})
                )
            )
        }
        summaries = []
        for row in rows:
            label = reader.label(row.title_label_json)
            seen = messages[row.id]
            summaries.append(
                DiscussionSummary(
                    id=row.id,
                    project_id=row.project_id,
                    project=projects.get(row.project_id, row.project_id),
                    artifact_id=row.artifact_id,
                    artifact=artifacts.get(row.artifact_id) if row.artifact_id else None,
                    title=row.title,
                    title_label=label,
                    title_marking=banner_of(label, self._policy.schemes),
                    started_by=starters.get(row.started_by, row.started_by),
                    started_at=row.started_at,
                    messages=len(seen),
                    last_posted_at=max((m.posted_at for m, _ in seen), default=None),
                )
            )
        return summaries

    def _discussion(
        self, session: Session, reader: Reader, row: DiscussionRow, me: str
    ) -> Discussion:
        summary = self._summaries(session, reader, [row])[0]
        readable = self._readable_messages(session, reader, [row])[row.id]
        return Discussion(summary, tuple(self._messages(session, readable, me)))

    def _message_view(
        self, session: Session, reader: Reader, message: DiscussionMessageRow, me: str
    ) -> Message:
        _, _, readable = self._visible_message(session, reader, message.id)
        return self._messages(session, [(message, readable)], me)[0]

    def _messages(
        self,
        session: Session,
        items: Sequence[tuple[DiscussionMessageRow, list[DiscussionVersionRow]]],
        me: str,
    ) -> list[Message]:
        authors = {
            p.id: p
            for p in session.scalars(
                select(PersonRow).where(PersonRow.id.in_({m.author_id for m, _ in items}))
            )
        }
        # Only the version shown is rendered; its mentions come with it.
        shown = self._version_views(session, [vs[-1] for _, vs in items])
        out = []
        for (message, versions), view in zip(items, shown, strict=True):
            author = authors[message.author_id]
            out.append(
                Message(
                    id=message.id,
                    discussion_id=message.discussion_id,
                    author=author.username,
                    author_name=author.display_name,
                    posted_at=message.posted_at,
                    current=replace(view, number=len(versions)),
                    edited=len(versions) > 1,
                    mine=message.author_id == me,
                )
            )
        return out
