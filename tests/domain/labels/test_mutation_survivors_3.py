"""Label behaviour the full mutation run (docs/testing.md) found unpinned, third part."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tests.domain.labels.label_strategies import GROUPS, ON
from tests.domain.labels.own_schemes import scheme
from tests.domain.labels.test_mutation_survivors import REGISTRY

from caveat.domain.groups import Group, Membership
from caveat.domain.labels import (
    Category,
    CategoryType,
    Label,
    SchemeRegistry,
    aggregate_marking,
    scheme_from_mapping,
)
from caveat.domain.labels.builder import (
    SCI_CHOICES,
    Choice,
    LevelOption,
    Option,
    build,
    choice_of,
    common_level_names,
    level_options,
)
from caveat.domain.labels.errors import SchemeDataError
from caveat.domain.labels.marking import Marking
from caveat.domain.labels.model import SCI
from caveat.domain.labels.schemes import load_builtin_schemes

R = CategoryType.RESTRICTIVE


# --- builder ---------------------------------------------------------------------------


def test_the_builder_asks_its_own_group_directory_whether_a_control_is_blocked() -> None:
    # A node's group whose code the free-standing group-code check would not accept
    # (a hyphen) is still known to the directory the builder is given: adding NOFORN
    # is blocked by the release, not passed over as an unknown REL TO code.
    groups = GROUPS.with_groups(
        [Group("EU-27", "EU members", (Membership("FRA"),), "s", builtin=False)]
    )
    built = build(Choice("GBR", 1, rel_to=frozenset({"EU-27"})), schemes=REGISTRY, groups=groups)
    assert built.ok
    noforn = next(option for option in built.dissem if option.value == "NOFORN")
    reason = "NOFORN cannot be combined with REL TO: keep one of them"
    assert noforn == Option("NOFORN", False, reason)


def test_a_refused_choice_still_offers_its_sci_boxes() -> None:
    built = build(
        Choice("USA", 2, sci=frozenset({"SI"}), dissem=frozenset({"FOUO"})),
        schemes=REGISTRY,
        groups=GROUPS,
    )
    assert built.label is None
    assert built.sci == tuple(Option(value, value == "SI", "") for value in SCI_CHOICES)


def test_a_label_with_every_sci_system_is_read_back_into_the_builder() -> None:
    every = frozenset(SCI_CHOICES)
    label = Label("USA", 3, (Category(SCI, R, every),))
    assert choice_of(label) == Choice("USA", 3, every, frozenset(), None)


def test_a_person_whose_nation_has_no_scheme_sees_the_common_steps_in_natos_words() -> None:
    assert "MLT" not in REGISTRY
    assert common_level_names(REGISTRY, "MLT") == [
        (0, "NATO UNCLASSIFIED"),
        (1, "NATO RESTRICTED"),
        (2, "NATO CONFIDENTIAL"),
        (3, "NATO SECRET"),
        (4, "COSMIC TOP SECRET"),
    ]


def test_each_level_option_names_its_scheme_and_ordinal() -> None:
    assert level_options(REGISTRY, "AAA")[:4] == [
        LevelOption("AAA:0", "OPEN", "AAA", 0),
        LevelOption("AAA:1", "GUARDED", "AAA", 1),
        LevelOption("AAA:2", "HIDDEN", "AAA", 2),
        LevelOption("NATO:0", "NATO UNCLASSIFIED", "NATO", 0),
    ]


# --- marking ---------------------------------------------------------------------------


def test_nothing_shown_is_marked_with_the_readers_lowest_level_and_its_step() -> None:
    marking = aggregate_marking([], scheme="GBR", groups=GROUPS, on=ON, schemes=REGISTRY)
    assert marking == Marking("OFFICIAL", 0)


# --- schemes ---------------------------------------------------------------------------


def test_a_scheme_defined_twice_is_named() -> None:
    aaa = scheme_from_mapping(scheme("AAA", "ISL"))
    with pytest.raises(SchemeDataError) as error:
        SchemeRegistry([aaa, aaa])
    assert error.value.detail == "scheme AAA is defined twice"


_READ_DEU = (
    "from caveat.domain.labels.schemes import load_builtin_schemes\n"
    "deu = next(s for s in load_builtin_schemes() if s.code == 'DEU')\n"
    "print(ascii(deu.levels[1].name))\n"
)


def test_shipped_schemes_are_read_as_utf8_whatever_the_machines_locale() -> None:
    deu = next(s for s in load_builtin_schemes() if s.code == "DEU")
    assert deu.levels[1].name == "VS-NUR F\u00dcR DEN DIENSTGEBRAUCH"
    # A machine whose locale encoding is ASCII (C locale, no coercion, no UTF-8 mode).
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    env.pop("PYTHONIOENCODING", None)
    done = subprocess.run(
        [sys.executable, "-c", _READ_DEU], env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (0, "'VS-NUR F\\xdcR DEN DIENSTGEBRAUCH'\n")
