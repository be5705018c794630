"""Label parsing and rules at the edges the 2026-12-06 mutation run of ``domain/labels``
found unchecked (each test names what it pins down)."""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain.labels.own_schemes import OWN

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import builtin_directory
from caveat.domain.labels import Label, builtin_schemes, parse_marking, roll_up
from caveat.domain.labels.errors import MarkingError, SchemeDataError

GROUPS = builtin_directory()
DAY = date(2025, 1, 1)


def test_a_banner_is_validated_under_the_registry_it_is_read_with() -> None:
    # AAA is only in the node's own registry: judged under the shipped one it is unknown.
    label = parse_marking("//AAA GUARDED//REL TO USA, ISL", schemes=OWN, groups=GROUPS, on=DAY)
    assert (label.policy, label.classification) == ("AAA", 1)
    assert parse_marking("(//AAA H)", schemes=OWN, groups=GROUPS, on=DAY) == Label("AAA", 2)


def test_a_malformed_compartment_is_refused_with_an_example_of_its_kind() -> None:
    with pytest.raises(MarkingError) as sci:
        parse_marking("TOP SECRET//SI/T K//NOFORN", groups=GROUPS, on=DAY)
    assert sci.value.detail == "'T K' is not a valid SCI value at position 15"
    assert sci.value.position == 15
    assert (
        sci.value.hint
        == "write for example SI/TK or SI-G ABCD; SCI systems are HCS, KDK, RSV, SI, TK"
    )
    with pytest.raises(MarkingError) as sap:
        parse_marking("TOP SECRET//SAR-//NOFORN", groups=GROUPS, on=DAY)
    assert sap.value.detail == "'SAR-' is not a valid SAP value at position 12"
    assert sap.value.hint is not None
    assert sap.value.hint.startswith("write for example SAR-BP;")


def test_a_scheme_names_the_level_it_does_not_have() -> None:
    (usa,) = [s for s in builtin_schemes().all() if s.code == "USA"]
    assert usa.level_by_id("SECRET").ordinal == 2
    with pytest.raises(SchemeDataError) as refused:
        usa.level_by_id("SECRETISH")
    assert refused.value.code == "unknown_level"
    assert refused.value.detail == "scheme USA has no level 'SECRETISH'"


def test_labels_of_two_schemes_roll_up_only_into_a_named_one() -> None:
    labels = [Label("USA", 2), Label("GBR", 2)]
    with pytest.raises(InvalidInput) as refused:
        roll_up(labels, groups=GROUPS, on=DAY, schemes=builtin_schemes())
    assert refused.value.code == "invalid_label"
    assert refused.value.detail == "labels under different schemes need a target scheme"
    assert refused.value.hint == "pass policy= the scheme of the aggregate"
