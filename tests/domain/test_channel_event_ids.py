"""Channel event ids (``EventIds``): opaque, bound to their channel and node, and read
back exactly; anything else is refused with one error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caveat.domain.channels import EventIds, check_event_id, event_id_key
from caveat.domain.errors import InvalidInput

IDS = EventIds(event_id_key(b"n" * 32))
OTHER_NODE = EventIds(event_id_key(b"m" * 32))
places = st.integers(min_value=0, max_value=2**63 - 1)
channels = st.uuids().map(str)


@given(channels, places)
def test_an_event_id_reads_back_as_its_place(channel: str, seq: int) -> None:
    token = IDS.of(channel, seq)
    assert IDS.seq(channel, token) == seq
    assert IDS.of(channel, seq) == token  # every reader gets the same id
    assert len(token) == 33
    assert check_event_id(token) == token


@given(channels, places)
def test_ids_of_neighbouring_places_are_not_numbers_and_differ_from_their_start(
    channel: str, seq: int
) -> None:
    here, next_one = IDS.of(channel, seq), IDS.of(channel, seq + 1)
    assert not here.isdigit()
    # No common prefix beyond the format marker: nothing orders or counts them.
    assert here[1:3] != next_one[1:3] or here[3:6] != next_one[3:6]


@given(channels, channels, places)
def test_an_id_of_another_channel_or_node_is_refused(a: str, b: str, seq: int) -> None:
    token = IDS.of(a, seq)
    refused = [OTHER_NODE]
    if a != b:
        refused.append(IDS)
    for ids in refused:
        with pytest.raises(InvalidInput) as caught:
            ids.seq(b, token)
        assert caught.value.code == "invalid_event_id"


@given(places, st.integers(min_value=0, max_value=32), st.sampled_from("AQgw-_09"))
def test_any_changed_character_is_refused(seq: int, at: int, char: str) -> None:
    token = IDS.of("c", seq)
    changed = token[:at] + char + token[at + 1 :]
    if changed == token:
        return
    with pytest.raises(InvalidInput) as caught:
        IDS.seq("c", changed)
    assert caught.value.code == "invalid_event_id"


@pytest.mark.parametrize(
    "text", ["1", "42", "-1", "1" + "A" * 32, "2" + IDS.of("c", 7)[1:], IDS.of("c", 7) + "A", "x"]
)
def test_numbers_and_forgeries_are_refused_alike(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        IDS.seq("c", text)
    assert (caught.value.code, caught.value.detail) == (
        "invalid_event_id",
        "not an event id of this channel",
    )


@pytest.mark.parametrize("text", [None, "", " ", "0"])
def test_no_resume_point_means_all_that_is_kept(text: str | None) -> None:
    assert IDS.seq("c", text) == 0


def test_the_edge_refuses_what_cannot_be_an_id() -> None:
    for text in ("a" * 67, "caf\u00e9", "a\nb"):
        with pytest.raises(InvalidInput):
            check_event_id(text)
    assert check_event_id(None) is None
