"""Discussions through the service: per-reader filtering against decide(), hidden looks
missing, edits never loosen, mentions only of readers, ledger events without text."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.discussions import DiscussionRow, DiscussionVersionRow
from caveat.domain.discussions import mentions, text_commitment
from caveat.domain.errors import CaveatError, InvalidInput, NotFound, PermissionDenied
from caveat.domain.labels import dominates, parse_marking
from tests.discussions.support import PROJECT, READERS, World, ctx

SECRET_USA_GBR = "SECRET//REL TO USA, GBR"


def _org(world: World, username: str) -> str:
    return world.node.people.get_person(username).organisation_id


def _project(world: World) -> str:
    return world.node.discussions.discussions(world.who("alice"))[0].project_id


def _missing(exc: CaveatError, ref: str) -> tuple[str, str, str]:
    """An error with the reference taken out: what may not differ between hidden and absent."""
    return (type(exc).__name__, exc.code, str(exc.detail).replace(ref, "REF"))


# -- per-reader filtering ---------------------------------------------------------------


def test_each_reader_sees_only_what_decide_lets_them_read(world: World) -> None:
    d = world.start()
    posted = {}
    for marking in (SECRET_USA_GBR, "SECRET//NOFORN", "CONFIDENTIAL//REL TO USA, FRA, GBR"):
        posted[marking] = world.node.discussions.post(
            world.who("alice"), ctx(), d.id, text=f"about {marking}", label=marking
        )
    seen = {
        u: {m.current.text for m in world.node.discussions.discussion(world.who(u), d.id).messages}
        for u in ("alice", "bob", "claire")
    }
    assert seen["alice"] == {"Kick-off", *(f"about {m}" for m in posted)}
    assert seen["bob"] == {
        "Kick-off",
        f"about {SECRET_USA_GBR}",
        "about CONFIDENTIAL//REL TO USA, FRA, GBR",
    }
    assert seen["claire"] == {"Kick-off", "about CONFIDENTIAL//REL TO USA, FRA, GBR"}


MARKINGS = st.builds(
    lambda level, dissem: level + dissem,
    st.sampled_from(["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"]),
    st.one_of(
        st.just(""),
        st.just("//NOFORN"),
        st.lists(
            st.sampled_from(["GBR", "FRA", "DEU", "NOR", "FVEY"]), min_size=1, unique=True
        ).map(
            lambda codes: (
                "//REL TO " + ", ".join(["USA", *sorted(codes, key=lambda c: (len(c), c))])
            )
        ),
    ),
).filter(lambda m: not m.startswith("UNCLASSIFIED//"))


@settings(
    max_examples=10,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(markings=st.lists(MARKINGS, min_size=1, max_size=5))
def test_filtering_agrees_with_decide_for_random_labels(world: World, markings: list[str]) -> None:
    """Property: every reader's view of a discussion is exactly the messages decide()
    permits them to READ, in order, counted the same in the list, nothing else."""
    alice = world.who("alice")
    d = world.start()
    project = d.summary.project_id
    for i, marking in enumerate(markings):
        world.node.discussions.post(alice, ctx(), d.id, text=f"m{i} {marking}", label=marking)
    org = _org(world, "alice")
    for reader in READERS:
        expected = ["Kick-off"] + [
            f"m{i} {m}"
            for i, m in enumerate(markings)
            if world.may_read(reader, m, author_org=org, project=project)
        ]
        if not world.may_read(reader, "UNCLASSIFIED", author_org=org, project=project):
            with pytest.raises(NotFound):
                world.node.discussions.discussion(world.who(reader), d.id)
            assert d.id not in {s.id for s in world.node.discussions.discussions(world.who(reader))}
            continue
        view = world.node.discussions.discussion(world.who(reader), d.id)
        assert [m.current.text for m in view.messages] == expected
        listed = {s.id: s for s in world.node.discussions.discussions(world.who(reader))}
        assert listed[d.id].messages == len(expected)


# -- hidden looks exactly like missing --------------------------------------------------


def test_a_hidden_discussion_answers_as_a_missing_one(world: World) -> None:
    hidden = world.start(title_label="SECRET//NOFORN", label="SECRET//NOFORN")
    claire = world.who("claire")
    with pytest.raises(NotFound) as seen:
        world.node.discussions.discussion(claire, hidden.id)
    with pytest.raises(NotFound) as absent:
        world.node.discussions.discussion(claire, "00000000-0000-4000-8000-000000000000")
    assert _missing(seen.value, hidden.id) == _missing(
        absent.value, "00000000-0000-4000-8000-000000000000"
    )
    assert world.node.discussions.discussions(claire) == []
    with pytest.raises(NotFound) as posting:
        world.node.discussions.post(claire, ctx(), hidden.id, text="hello", label="UNCLASSIFIED")
    assert posting.value.code == "unknown_discussion"


def test_a_hidden_message_leaves_no_count_no_gap_and_no_date(world: World) -> None:
    d = world.start()
    alice = world.who("alice")
    world.clock.advance(minutes=1)
    seen_last = world.node.discussions.post(
        alice, ctx(), d.id, text="for everyone", label="CONFIDENTIAL//REL TO USA, FRA, GBR"
    )
    world.clock.advance(minutes=1)
    secret = world.node.discussions.post(
        alice, ctx(), d.id, text="not for France", label=SECRET_USA_GBR
    )
    claire = world.who("claire")
    summary = next(s for s in world.node.discussions.discussions(claire) if s.id == d.id)
    assert summary.messages == 2
    assert summary.last_posted_at == seen_last.posted_at  # not the later, hidden one's
    view = world.node.discussions.discussion(claire, d.id)
    assert [m.current.number for m in view.messages] == [1, 1]
    with pytest.raises(NotFound) as hidden:
        world.node.discussions.history(claire, secret.id)
    with pytest.raises(NotFound) as absent:
        world.node.discussions.history(claire, "no-such-message")
    assert _missing(hidden.value, secret.id) == _missing(absent.value, "no-such-message")
    with pytest.raises(NotFound) as editing:
        world.node.discussions.edit(claire, ctx(), secret.id, text="x", label=SECRET_USA_GBR)
    assert editing.value.code == "unknown_discussion_message"


def test_an_artifacts_discussion_needs_the_artifact_readable(world: World) -> None:
    artifact = world.artifact(SECRET_USA_GBR)
    d = world.start(artifact=artifact, text="Section 3 needs a second look")
    assert d.summary.artifact_id == artifact
    assert d.summary.artifact == "Fusion notes"
    bob, claire = world.who("bob"), world.who("claire")
    assert [s.id for s in world.node.discussions.discussions(bob, artifact=artifact)] == [d.id]
    # Claire may read the unclassified title and message, not the SECRET REL USA, GBR artifact.
    assert world.node.discussions.discussions(claire, artifact=artifact) == []
    with pytest.raises(NotFound) as hidden:
        world.node.discussions.discussion(claire, d.id)
    assert hidden.value.code == "unknown_discussion"
    with pytest.raises(NotFound) as starting:
        world.start(by="claire", artifact=artifact)
    assert starting.value.code == "unknown_artifact"


def test_a_non_member_sees_no_discussion_and_cannot_start_one(world: World) -> None:
    d = world.start()
    lars = world.who("lars")
    assert world.node.discussions.discussions(lars) == []
    with pytest.raises(NotFound):
        world.node.discussions.discussion(lars, d.id)
    with pytest.raises(NotFound) as starting:
        world.start(by="lars")
    assert starting.value.code == "unknown_project"


# -- writing: labels ---------------------------------------------------------------------


def test_nobody_writes_above_what_they_may_read(world: World) -> None:
    d = world.start()
    with pytest.raises(PermissionDenied) as refused:
        world.node.discussions.post(world.who("priya"), ctx(), d.id, text="x", label="SECRET")
    assert refused.value.code == "label_above_reader"


def test_labels_go_through_the_one_validator(world: World) -> None:
    d = world.start()
    alice = world.who("alice")
    with pytest.raises(InvalidInput) as bad:
        world.node.discussions.post(alice, ctx(), d.id, text="x", label="SECRET//NOFORN/REL TO GBR")
    assert bad.value.code == "invalid_marking"
    assert bad.value.field == "label"
    with pytest.raises(InvalidInput) as none:
        world.node.discussions.post(alice, ctx(), d.id, text="x", label="  ")
    assert none.value.code == "label_required"
    with pytest.raises(InvalidInput) as bad_title:
        world.start(title_label="SECRIT")
    assert bad_title.value.field == "title_label"


# -- edits -------------------------------------------------------------------------------


def test_edits_keep_history_and_never_loosen(world: World) -> None:
    d = world.start()
    alice, bob = world.who("alice"), world.who("bob")
    m = world.node.discussions.post(alice, ctx(), d.id, text="v1", label=SECRET_USA_GBR)
    with pytest.raises(PermissionDenied) as loosened:
        world.node.discussions.edit(
            alice, ctx(), m.id, text="v2", label="CONFIDENTIAL//REL TO USA, GBR"
        )
    assert loosened.value.code == "edit_loosens_label"
    with pytest.raises(PermissionDenied) as wider:
        world.node.discussions.edit(
            alice, ctx(), m.id, text="v2", label="SECRET//REL TO USA, FRA, GBR"
        )
    assert wider.value.code == "edit_loosens_label"
    same = world.node.discussions.edit(alice, ctx(), m.id, text="v2", label=SECRET_USA_GBR)
    assert (same.current.text, same.current.number, same.edited) == ("v2", 2, True)
    tighter = world.node.discussions.edit(alice, ctx(), m.id, text="v3", label="SECRET//NOFORN")
    assert (tighter.current.text, tighter.current.number) == ("v3", 3)
    # Bob reads the versions released to him: v2 is the last, no sign of v3.
    bobs = next(x for x in world.node.discussions.discussion(bob, d.id).messages if x.id == m.id)
    assert (bobs.current.text, bobs.current.number, bobs.edited) == ("v2", 2, True)
    assert [v.text for v in world.node.discussions.history(bob, m.id).versions] == ["v1", "v2"]
    assert [v.text for v in world.node.discussions.history(alice, m.id).versions] == [
        "v1",
        "v2",
        "v3",
    ]


def test_only_the_author_edits(world: World) -> None:
    d = world.start()
    m = world.node.discussions.post(
        world.who("alice"), ctx(), d.id, text="v1", label="UNCLASSIFIED"
    )
    with pytest.raises(PermissionDenied) as refused:
        world.node.discussions.edit(
            world.who("bob"), ctx(), m.id, text="mine now", label="SECRET//REL TO USA, GBR"
        )
    assert refused.value.code == "policy_denied"


@settings(
    max_examples=15,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
)
@given(before=MARKINGS, after=MARKINGS)
def test_an_edit_is_accepted_only_when_it_loosens_nothing(
    world: World, before: str, after: str
) -> None:
    """Property: an edit is accepted exactly when the new label dominates the old, and
    then no reader reads the new version who could not read the old."""
    alice = world.who("alice")
    d = world.start()
    m = world.node.discussions.post(alice, ctx(), d.id, text="before", label=before)
    env = world.node.policy.environment()
    day = world.clock().date()
    old, new = (parse_marking(x, groups=env.groups, on=day) for x in (before, after))
    loosens = not dominates(new, old, groups=env.groups, on=day)
    if loosens:
        with pytest.raises(PermissionDenied) as refused:
            world.node.discussions.edit(alice, ctx(), m.id, text="after", label=after)
        assert refused.value.code == "edit_loosens_label"
        return
    world.node.discussions.edit(alice, ctx(), m.id, text="after", label=after)
    assert not loosens
    org, project = _org(world, "alice"), d.summary.project_id
    for reader in READERS:
        if world.may_read(reader, after, author_org=org, project=project):
            assert world.may_read(reader, before, author_org=org, project=project)


# -- mentions ----------------------------------------------------------------------------


def test_mentions_only_of_people_who_may_read_the_message(world: World) -> None:
    d = world.start()
    alice = world.who("alice")
    m = world.node.discussions.post(
        alice, ctx(), d.id, text="@bob please check the range table.", label=SECRET_USA_GBR
    )
    assert m.current.mentions == ("bob",)
    mine = world.node.discussions.mentions(world.who("bob"))
    assert [(x.message_id, x.author) for x in mine] == [(m.id, "alice")]
    with pytest.raises(InvalidInput) as refused:
        world.node.discussions.post(
            alice, ctx(), d.id, text="@claire see above", label=SECRET_USA_GBR
        )
    with pytest.raises(InvalidInput) as unknown:
        world.node.discussions.post(
            alice, ctx(), d.id, text="@nobody see above", label=SECRET_USA_GBR
        )
    assert refused.value.code == unknown.value.code == "mention_refused"
    assert _missing(refused.value, "claire") == _missing(unknown.value, "nobody")
    # Not a member of the project: may not read even an unclassified message of it.
    with pytest.raises(InvalidInput) as outsider:
        world.node.discussions.post(alice, ctx(), d.id, text="cc @lars", label="UNCLASSIFIED")
    assert outsider.value.code == "mention_refused"
    # An edit may not add a refused mention either.
    with pytest.raises(InvalidInput):
        world.node.discussions.edit(alice, ctx(), m.id, text="@bob @claire", label=SECRET_USA_GBR)
    assert world.node.discussions.mentions(world.who("claire")) == []


def test_mentions_are_read_as_usernames() -> None:
    assert mentions("@bob, @claire.  email@example.org @bob @x @dieter-w.") == (
        "bob",
        "claire",
        "dieter-w",
    )


# -- the ledger --------------------------------------------------------------------------


def test_events_carry_labels_and_text_hashes_never_text(world: World) -> None:
    secret_text = "the emitter hops every 37 ms"
    d = world.start(title="Emitter behaviour", text=secret_text, label=SECRET_USA_GBR)
    message = d.messages[0]
    world.node.discussions.edit(
        world.who("alice"), ctx(), message.id, text=secret_text + "!", label=SECRET_USA_GBR
    )
    with world.node.uow.read() as session:
        events = session.scalars(
            select(EventRow)
            .where(EventRow.target_id == d.id)
            .order_by(EventRow.leaf_index, EventRow.id)
        ).all()
        versions = session.scalars(
            select(DiscussionVersionRow)
            .order_by(DiscussionVersionRow.version)
            .where(DiscussionVersionRow.message_id == message.id)
        ).all()
        row = session.get(DiscussionRow, d.id)
    assert row is not None
    types = sorted(e.type for e in events)
    assert types == ["discussion.message_edited", "discussion.message_posted", "discussion.started"]
    for event in events:
        assert secret_text not in event.body
        assert "Emitter behaviour" not in event.body
    data = {e.type: json.loads(e.body)["data"] for e in events}
    assert data["discussion.message_posted"]["text_sha256"] == text_commitment(
        bytes.fromhex(versions[0].text_salt), secret_text
    )
    assert data["discussion.message_edited"]["text_sha256"] == versions[1].text_sha256
    assert data["discussion.started"]["title_sha256"] == text_commitment(
        bytes.fromhex(row.title_salt), "Emitter behaviour"
    )
    assert (
        '"REL TO"' in data["discussion.message_posted"]["label"]
        or "GBR" in data["discussion.message_posted"]["label"]
    )


def test_a_discussion_names_a_project_or_an_artifact(world: World) -> None:
    with pytest.raises(InvalidInput):
        world.node.discussions.start(
            world.who("alice"),
            ctx(),
            title="t",
            title_label="UNCLASSIFIED",
            text="x",
            label="UNCLASSIFIED",
        )
    assert PROJECT
