"""A release widens a label into one the marking rules accept: the released label passes
the validator and its banner parses back to it, whatever the originator's nation (a US
REL TO list names USA even when the originator is another nation's organisation)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.domain.labels.label_strategies import GROUPS, ON, SCHEMES, labels

from caveat.domain.compliance.release import released_label
from caveat.domain.errors import Conflict
from caveat.domain.labels import DISSEM, NOFORN, Label, parse_banner, render_banner, validate_label

NATIONS = ["USA", "GBR", "FRA", "DEU", "AUS", "CAN", "NOR"]


@given(
    labels(),
    st.sampled_from(NATIONS),
    st.sets(st.sampled_from(NATIONS), min_size=1, max_size=3),
)
def test_a_released_label_keeps_every_marking_rule(
    label: Label, originator: str, recipients: set[str]
) -> None:
    if not recipients - {originator} and not label.releasable_to:
        with pytest.raises(Conflict):
            released_label(label, originator, recipients)
        return
    released = released_label(label, originator, recipients)
    validate_label(released, schemes=SCHEMES, groups=GROUPS)
    assert NOFORN not in released.values(DISSEM)
    banner = render_banner(released, schemes=SCHEMES)
    assert parse_banner(banner, groups=GROUPS, on=ON, schemes=SCHEMES) == released


def test_a_release_only_to_the_originating_nation_releases_nothing_in_any_scheme() -> None:
    """Found by the property above (CI, 2026-12-07): a US-scheme label of a British
    originator, released to GBR alone, came back REL TO USA, GBR; the release request
    refuses it as already releasable, and so does the domain now."""
    secret_us = parse_banner("CONFIDENTIAL", groups=GROUPS, on=ON, schemes=SCHEMES)
    assert secret_us.policy == "USA"
    with pytest.raises(Conflict) as refused:
        released_label(secret_us, "GBR", {"GBR"})
    assert refused.value.code == "already_releasable"
    widened = released_label(secret_us, "GBR", {"FRA"})
    assert widened.releasable_to == frozenset({"USA", "GBR", "FRA"})
