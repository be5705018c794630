"""Upload sessions: random appends, completions, aborts, lapses and sweeps by the owner
and by others, held to ``UPLOAD``. Only an open session has a row: to anyone but its
owner it does not exist, and once completed, aborted or swept it is gone for everyone."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, precondition, rule
from sqlalchemy import select

from caveat.adapters.db.models.artifacts import UploadSessionRow
from caveat.domain.lifecycles import UPLOAD, UploadState, upload_state
from caveat.services.artifacts._service import NewArtifact
from tests.compliance.support import CONSOLE, World
from tests.lifecycles.support import LifecycleMachine, ctx, one, run, unique

OWNERS = ("alice", "sol")  # members of the project who may label at this level
ACTORS = ("alice", "sol", "bob")
GONE = "gone"  # what the database holds of a closed session: nothing


class UploadMachine(LifecycleMachine):
    lifecycle = UPLOAD
    uploads = Bundle("uploads")

    def __init__(self, world: World) -> None:
        super().__init__(world.node)
        self.world = world
        self.owner: dict[str, str] = {}
        self.artifact: dict[str, str] = {}
        self.content: dict[str, bytes] = {}

    @initialize(target=uploads)
    def first(self) -> str:
        return one(self.begin("alice"))

    @precondition(lambda self: self.all_final())
    @rule(target=uploads, owner=st.sampled_from(OWNERS))
    def begin(self, owner: str) -> str:
        status = self.node.artifacts.begin_upload(
            self.world.principal(owner),
            ctx(),
            new=NewArtifact(
                project=self.world.project,
                kind="dataset",
                title=unique("run"),
                label="SECRET//REL TO USA, GBR",
            ),
            filename="run.bin",
        )
        self.states[status.id] = UploadState.OPEN
        self.owner[status.id] = owner
        self.artifact[status.id] = status.artifact_id
        self.content[status.id] = b""
        return status.id

    def code(self, record: str, who: str) -> str | None:
        """The refusal a move on ``record`` by ``who`` must carry, when the table or the
        owner rule forbids it: a session past its expiry answers upload_expired to its
        owner; anyone else's, or a closed one, does not exist."""
        if who == self.owner[record] and self.states[record] is UploadState.LAPSED:
            return "upload_expired"
        return "unknown_upload"

    @rule(record=uploads, data=st.data())
    def owners_move(self, record: str, data: st.DataObject) -> None:
        """A move by the owner: appends three times in four while it is open."""
        owner, verb = self.owner[record], self.choose(data, record)
        if verb == "append":
            self.append(record, owner, data.draw(st.binary(min_size=1, max_size=64)))
        elif verb == "complete":
            self.complete(record, owner)
        elif verb == "abort":
            self.abort(record, owner)
        else:  # expire: the sweeper's
            self.sweep()

    @rule(record=uploads, who=st.sampled_from(ACTORS), data=st.binary(min_size=1, max_size=64))
    def append(self, record: str, who: str, data: bytes) -> None:
        offset = len(self.content[record])
        by = self.world.principal(who)
        refusal = self.attempt(
            record,
            "append",
            lambda: self.node.artifacts.append(by, ctx(), record, offset, [data]),
            permitted=who == self.owner[record],
            event="upload.appended",
            code=self.code(record, who),
        )
        if refusal is None:
            self.content[record] += data

    @rule(record=uploads, who=st.sampled_from(ACTORS))
    def complete(self, record: str, who: str) -> None:
        digest = hashlib.sha256(self.content[record]).hexdigest()
        by = self.world.principal(who)
        self.attempt(
            record,
            "complete",
            lambda: self.node.artifacts.complete(by, ctx(), record, sha256=digest),
            permitted=who == self.owner[record],
            event="artifact.created",
            event_target=self.artifact[record],
            code=self.code(record, who),
        )

    @rule(record=uploads, who=st.sampled_from(ACTORS))
    def abort(self, record: str, who: str) -> None:
        by = self.world.principal(who)
        self.attempt(
            record,
            "abort",
            lambda: self.node.artifacts.abort_upload(by, ctx(), record),
            permitted=who == self.owner[record],
            event="upload.aborted",
            code="unknown_upload",
        )

    @rule()
    def time_passes(self) -> None:
        """Past every open session's expiry: they lapse (a state of the clock, no event)."""
        self.world.clock.advance(seconds=self.node.artifacts.upload_ttl.total_seconds() + 1)
        for record, state in self.states.items():
            if state is UploadState.OPEN:
                self.states[record] = UploadState.LAPSED
                # Its owner can no longer add to it or complete it.
                self.append(record, self.owner[record], b"late")
                self.complete(record, self.owner[record])

    @precondition(lambda self: UploadState.LAPSED in self.states.values())
    @rule()
    def sweep(self) -> None:
        """The sweeper expires every lapsed session, one upload.expired event each."""
        lapsed = [r for r, s in self.states.items() if s is UploadState.LAPSED]
        before = {r: self.events("upload.expired", r) for r in lapsed}
        self.node.artifact_admin.cleanup(CONSOLE, ctx(), grace=timedelta(0))
        for record in lapsed:
            assert self.events("upload.expired", record) == before[record] + 1
            self.states[record] = UPLOAD.transition("expire").to
            self.tally["accepted expire"] += 1

    def expected(self) -> dict[str, str]:
        return {r: GONE if self.is_final(r) else s.value for r, s in self.states.items()}

    def stored(self) -> dict[str, str]:
        now = self.world.clock()
        with self.node.uow.read() as session:
            rows = {
                r.id: upload_state(r.expires_at, now).value
                for r in session.scalars(
                    select(UploadSessionRow).where(UploadSessionRow.id.in_(list(self.states)))
                )
            }
        return {r: rows.get(r, GONE) for r in self.states}


def tour(m: UploadMachine) -> None:
    u = m.begin("alice")
    m.append(u, "bob", b"x")  # not the owner's: refused
    m.append(u, "alice", b"abc")
    m.complete(u, "sol")  # not the owner's: refused
    m.complete(u, "alice")
    m.append(u, "alice", b"more")  # completed: refused
    v = m.begin("sol")
    m.abort(v, "alice")  # not the owner's: refused
    m.abort(v, "sol")
    w = m.begin("alice")
    m.append(w, "alice", b"x")
    m.time_passes()  # the owner's append and completion are refused
    m.sweep()
    m.abort(w, "alice")  # swept: refused
    x = m.begin("alice")
    m.time_passes()
    m.abort(x, "alice")  # a lapsed session may still be abandoned


def test_upload_lifecycle(world: World) -> None:
    world.node.artifacts.part_bytes = 64 * 1024
    tally = run(UploadMachine, world, tour=tour)
    assert tally["refused upload_expired"] > 0, tally
