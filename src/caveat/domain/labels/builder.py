"""The structured label builder: a label from choices, and which choices cannot be made.

A person picks a level, ticks SCI control systems and dissemination controls, and lists
REL TO nations and groups. The builder composes the label and asks the one validator
(``validation.find_violation``) about it; an option is offered only when adding it would
keep the label valid, and otherwise carries the validator's own reason. So the builder
has no rule of its own and cannot drift from what the parser and canonical JSON accept;
the server still parses the text the builder writes, as for any typed marking.

Two choices are made for the person rather than refused: a scheme with a nation keeps
that nation in its REL TO list (a release never excludes the originator's own nation,
and a US list must include USA), and REL TO codes are kept in CAPCO order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from caveat.domain.errors import InvalidInput
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import capco
from caveat.domain.labels.banner import render_banner, render_portion
from caveat.domain.labels.errors import InvalidLabel
from caveat.domain.labels.marking import national_text
from caveat.domain.labels.model import (
    DISSEM,
    REL_TO,
    SCI,
    Category,
    CategoryType,
    Label,
)
from caveat.domain.labels.releasability import ordered
from caveat.domain.labels.schemes import COMMON_SCALE, SchemeRegistry
from caveat.domain.labels.validation import (
    FOUO_CLASSIFIED,
    NOFORN_WITH_RELEASE,
    UNKNOWN_VALUE,
    Violation,
    find_violation,
    known_code,
)

# Rules about how options combine: the ones that make an option unavailable.
COMBINATION_RULES = frozenset({NOFORN_WITH_RELEASE, FOUO_CLASSIFIED})
DISSEM_CHOICES: tuple[str, ...] = tuple(
    c.name for c in capco.DISSEM_CONTROLS if c.name != capco.BY_NAME["REL TO"].name
)
SCI_CHOICES: tuple[str, ...] = capco.SCI_SYSTEMS
BUILDER_FALLBACK = "NATO"  # offered to everyone beside their national scheme
# A release to two NATO nations stands in for "some release" when asking whether
# REL TO could be added at all (only its presence matters to the combination rules).
_PROBE_RELEASE = frozenset({"USA", "GBR"})


@dataclass(frozen=True, slots=True)
class Choice:
    """What the person has chosen; ``rel_to`` None means no REL TO at all."""

    scheme: str
    level: int
    sci: frozenset[str] = frozenset()
    dissem: frozenset[str] = frozenset()
    rel_to: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Option:
    """One tick box: its value, whether it is chosen, and why it cannot be ("" if it can)."""

    value: str
    chosen: bool
    blocked: str = ""


@dataclass(frozen=True, slots=True)
class LevelOption:
    """One level of the picker, written in its scheme's own words."""

    value: str  # "GBR:3": scheme code and ordinal
    text: str  # "SECRET", "NATO SECRET"
    scheme: str
    ordinal: int


@dataclass(frozen=True, slots=True)
class Built:
    """The label the choices make (None with the violation when they make none), its
    text forms, and the options with their availability."""

    choice: Choice
    label: Label | None
    violation: Violation | None
    banner: str  # what the text field gets: the parser's form (//GBR SECRET//...)
    national: str  # the scheme's own words (SECRET//REL TO GBR, USA)
    portion: str
    owner: str | None  # the nation kept in REL TO, if the scheme has one
    sci: tuple[Option, ...]
    dissem: tuple[Option, ...]
    rel_to: Option  # REL TO as a whole: may a release list be added?

    @property
    def ok(self) -> bool:
        return self.label is not None


def level_options(schemes: SchemeRegistry, national: str | None) -> list[LevelOption]:
    """The levels a person picks from: their national scheme's, then NATO's; each written
    as its scheme writes it (US and national words bare, NATO with its name)."""
    codes = [code for code in (national, BUILDER_FALLBACK) if code is not None and code in schemes]
    out: list[LevelOption] = []
    for code in dict.fromkeys(codes):
        for level in schemes.get(code).levels:
            out.append(
                LevelOption(f"{code}:{level.ordinal}", level.name.upper(), code, level.ordinal)
            )
    return out


def common_level_names(schemes: SchemeRegistry, national: str | None) -> list[tuple[int, str]]:
    """The five common steps as a picker names them, each once: in the viewer's words
    where their scheme has a level for the step, else NATO's (a US reader's step 1 is
    NATO RESTRICTED, not a second CONFIDENTIAL; a British reader's step 2 is NATO
    CONFIDENTIAL, not a second SECRET)."""
    fallback = schemes.get(BUILDER_FALLBACK)
    scheme = schemes.get(national) if national is not None and national in schemes else fallback
    names: list[tuple[int, str]] = []
    for step in range(len(COMMON_SCALE)):
        own = [level for level in scheme.levels if level.common == step]
        level = own[0] if own else fallback.level_for_common(step)
        names.append((step, level.name.upper()))
    return names


def parse_level_value(value: str, schemes: SchemeRegistry) -> tuple[str, int]:
    """``GBR:3`` as (scheme, ordinal); InvalidInput for anything the registry lacks."""
    code, _, ordinal = value.partition(":")
    if code not in schemes or not ordinal.isdigit():
        raise InvalidInput(f"unknown level {value!r}", code="invalid_marking", field="level")
    scheme = schemes.get(code)
    scheme.level(int(ordinal))  # an unknown ordinal fails here
    return code, int(ordinal)


def with_owner(choice: Choice, schemes: SchemeRegistry) -> Choice:
    """The choice with its scheme's nation in the REL TO list, when there is one."""
    nation = schemes.get(choice.scheme).nation
    if choice.rel_to is None or nation is None:
        return choice
    return replace(choice, rel_to=choice.rel_to | {nation})


def compose(choice: Choice) -> Label:
    """The label of ``choice`` (no rule checked here: see :func:`build`)."""
    categories: list[Category] = []
    if choice.sci:
        categories.append(Category(SCI, CategoryType.RESTRICTIVE, choice.sci))
    if choice.dissem:
        categories.append(Category(DISSEM, CategoryType.RESTRICTIVE, choice.dissem))
    if choice.rel_to:
        categories.append(Category(REL_TO, CategoryType.PERMISSIVE, choice.rel_to))
    return Label(policy=choice.scheme, classification=choice.level, categories=tuple(categories))


def _violation(choice: Choice, schemes: SchemeRegistry, groups: GroupDirectory) -> Violation | None:
    try:
        label = compose(choice)
    except InvalidLabel as exc:  # a value no category may hold (a forged post)
        return Violation(UNKNOWN_VALUE, exc.detail, "choose from the options shown", ())
    return find_violation(label, schemes=schemes, groups=groups)


def _blocked(
    changed: Choice, schemes: SchemeRegistry, groups: GroupDirectory, before: Violation | None
) -> str:
    """Why ``changed`` (the choice with one option added) breaks a combination rule it
    did not break before; "" when it does not."""
    found = _violation(changed, schemes, groups)
    if found is None or found.rule not in COMBINATION_RULES:
        return ""
    if before is not None and before.rule == found.rule:
        return ""
    return f"{found.detail}: {found.hint}"


def build(choice: Choice, *, schemes: SchemeRegistry, groups: GroupDirectory) -> Built:
    """Compose ``choice`` and say which options could still be added."""
    choice = with_owner(choice, schemes)
    if choice.rel_to is not None:
        unknown = sorted(code for code in choice.rel_to if not known_code(code, groups))
        if unknown:
            raise InvalidInput(
                f"{unknown[0]!r} is neither a country code nor a known group",
                code="invalid_marking",
                field="rel_to",
                hint="use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
            )
    before = _violation(choice, schemes, groups)
    sci = tuple(
        Option(value, value in choice.sci, "") for value in SCI_CHOICES
    )  # SCI systems combine freely
    dissem = tuple(
        Option(
            value,
            value in choice.dissem,
            ""
            if value in choice.dissem
            else _blocked(replace(choice, dissem=choice.dissem | {value}), schemes, groups, before),
        )
        for value in DISSEM_CHOICES
    )
    rel_blocked = ""
    if choice.rel_to is None:
        probe = with_owner(replace(choice, rel_to=_PROBE_RELEASE), schemes)
        rel_blocked = _blocked(probe, schemes, groups, before)
    rel_option = Option(REL_TO, choice.rel_to is not None, rel_blocked)
    owner = schemes.get(choice.scheme).nation
    if choice.rel_to is not None and not choice.rel_to:
        before = before or Violation("rel_to_empty", "REL TO needs a list", "add nations", ())
    if before is not None:
        return Built(choice, None, before, "", "", "", owner, sci, dissem, rel_option)
    label = compose(choice)
    return Built(
        choice,
        label,
        None,
        render_banner(label, schemes=schemes),
        national_text(label, schemes=schemes),
        render_portion(label, schemes=schemes),
        owner,
        sci,
        dissem,
        rel_option,
    )


def rel_to_codes(choice: Choice) -> list[str]:
    """The REL TO codes in CAPCO order (empty without REL TO)."""
    return ordered(choice.rel_to or ())


def choice_of(label: Label) -> Choice | None:
    """The builder's choices for ``label``; None when it holds what the builder has no
    box for (SAP, SCI compartments, TLP, other categories): the text field keeps it."""
    if any(c.tag not in {SCI, DISSEM, REL_TO} for c in label.categories):
        return None
    sci, dissem = label.values(SCI), label.values(DISSEM)
    if not sci <= set(SCI_CHOICES) or not dissem <= set(DISSEM_CHOICES):
        return None
    return Choice(label.policy, label.classification, sci, dissem, label.releasable_to)
