"""Policy settings and the environment a decision runs in (groups, schemes, data sources)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import SchemeRegistry
from caveat.domain.policy.ports import (
    Agreements,
    Embargoes,
    ExportAuthorizations,
    MemoryAgreements,
    MemoryAuthorizations,
    MemoryEmbargoes,
    MemoryScreening,
    Screening,
)

HOUR = 3600
# Longest time since the last MFA proof, per common level (0 unclassified .. 4 top
# secret); None: no freshness needed. Stricter with the harm a mistaken read does.
DEFAULT_MFA_MAX_AGE: tuple[int | None, ...] = (None, 12 * HOUR, 8 * HOUR, HOUR, 15 * 60)


@dataclass(frozen=True, slots=True)
class DualNationalRule:
    """The §126.18-style exception for dual and third-country nationals, off unless set.

    When configured, a subject some of whose nationalities are not on a REL TO list
    still satisfies releasability if: the resource is at or below
    ``max_common_level`` (22 CFR 126.18 covers unclassified transfers only, hence 0
    by default); the subject's organisation is approved (``organisations`` None means
    any) and its nation is releasable; the subject's clearance was granted by that
    host nation; and at least one nationality is releasable. NOFORN is never excused.
    """

    max_common_level: int = 0
    organisations: frozenset[str] | None = None
    source: str = "22 CFR 126.18 (dual and third-country national employees)"

    def __post_init__(self) -> None:
        if not 0 <= self.max_common_level <= 4:
            raise InvalidInput("max_common_level must be 0-4", code="invalid_policy_config")


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """Tunable parts of the policy; everything else is fixed by the requirements."""

    mfa_max_age: tuple[int | None, ...] = DEFAULT_MFA_MAX_AGE
    dual_national: DualNationalRule | None = None

    def __post_init__(self) -> None:
        if len(self.mfa_max_age) != 5:
            raise InvalidInput(
                "mfa_max_age needs one entry per level 0-4", code="invalid_policy_config"
            )


@dataclass(slots=True)
class PolicyEnvironment:
    """Groups, schemes, settings and the data sources of requirements 6-9."""

    groups: GroupDirectory
    schemes: SchemeRegistry
    config: PolicyConfig = field(default_factory=PolicyConfig)
    agreements: Agreements = field(default_factory=MemoryAgreements)
    authorizations: ExportAuthorizations = field(default_factory=MemoryAuthorizations)
    screening: Screening = field(default_factory=MemoryScreening)
    embargoes: Embargoes = field(default_factory=MemoryEmbargoes)
    _day_index: dict[date, dict[str, frozenset[str]]] = field(default_factory=dict, repr=False)

    def groups_of(self, nation: str, on: date) -> frozenset[str]:
        """The group codes ``nation`` belongs to on ``on`` (cached per day)."""
        index = self._day_index.get(on)
        if index is None:
            built: dict[str, set[str]] = {}
            for group in self.groups.all():
                for member in group.members_on(on):
                    built.setdefault(member, set()).add(group.code)
            index = {n: frozenset(codes) for n, codes in built.items()}
            if len(self._day_index) > 64:  # a long-running node moves through days
                self._day_index.clear()
            self._day_index[on] = index
        return index.get(nation, frozenset())

    scheme_by_nation: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The national scheme of each nation that has one: it judges that nation's clearances.
        self.scheme_by_nation = {s.nation: s.code for s in self.schemes.all() if s.nation}
