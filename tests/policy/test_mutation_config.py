"""Policy settings refused at their edges, and the per-day group index.

Written against the survivors of the 2026-12-06 mutation run of ``policy.config``: no
test built a setting outside its range or one step inside it.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import builtin_directory
from caveat.domain.labels import builtin_schemes
from caveat.domain.policy import DualNationalRule, PolicyConfig, PolicyEnvironment


@pytest.mark.parametrize("level", [0, 1, 4])
def test_a_dual_national_rule_covers_levels_zero_to_four(level: int) -> None:
    assert DualNationalRule(max_common_level=level).max_common_level == level


@pytest.mark.parametrize("level", [-1, 5])
def test_a_dual_national_rule_past_the_levels_is_refused(level: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        DualNationalRule(max_common_level=level)
    assert refused.value.code == "invalid_policy_config"
    assert refused.value.detail == "max_common_level must be 0-4"


def test_mfa_freshness_has_one_entry_per_level() -> None:
    assert PolicyConfig(mfa_max_age=(None, 1, 2, 3, 4)).mfa_max_age == (None, 1, 2, 3, 4)
    for wrong in [(None, 1, 2, 3), (None, 1, 2, 3, 4, 5)]:
        with pytest.raises(InvalidInput) as refused:
            PolicyConfig(mfa_max_age=wrong)
        assert refused.value.code == "invalid_policy_config"
        assert refused.value.detail == "mfa_max_age needs one entry per level 0-4"


def test_groups_of_a_nation_are_those_of_the_day_asked() -> None:
    environment = PolicyEnvironment(groups=builtin_directory(), schemes=builtin_schemes())
    groups = builtin_directory()
    day = date(2026, 1, 1)
    for offset in range(100):  # past the cache's size: answers stay those of each day
        on = day + timedelta(days=offset)
        expected = frozenset(g.code for g in groups.all() if "GBR" in g.members_on(on))
        assert environment.groups_of("GBR", on) == expected
    assert "NATO" in environment.groups_of("GBR", day)
    assert environment.groups_of("ZZZ", day) == frozenset()
