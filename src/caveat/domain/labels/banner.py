"""CAPCO-style banner lines and portion marks: strict parse, render and normalise.

Grammar (CAPCO register 2016, the subset Caveat supports)::

    banner  = [ "//" ] level { "//" block }          e.g. SECRET//REL TO USA, GBR
    portion = "(" banner-with-abbreviations ")"       e.g. (S//NF), (//NS//REL TO USA, NATO)
    block   = SCI values | SAP values | dissemination controls, in that order,
              values separated by "/"

A banner may spell a dissemination control out by its CAPCO title
(``SECRET//NOT RELEASABLE TO FOREIGN NATIONALS``, ``AUTHORIZED FOR RELEASE TO USA,
GBR``); it reads as the same label, and rendering always writes the banner word.

US levels are written bare; NATO, EU and other nations' levels start with "//"
(``//NATO SECRET``, ``//DEU GEHEIM``). Every error is a MarkingError with the
character position of the fault and a hint. What a label may say (combinations of
controls, REL TO lists) is decided by ``validation``, for canonical JSON alike; the
parser decides only how it is written, and names a fault of substance before one of
form (order, spacing, repeats).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date

from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import capco
from caveat.domain.labels.errors import InvalidLabel, MarkingError
from caveat.domain.labels.model import (
    DISSEM,
    REL_TO,
    SAP,
    SCI,
    Category,
    CategoryType,
    Label,
)
from caveat.domain.labels.releasability import (
    LEADING_NATION,
    collapse,
    ordered,
    rel_to_sort_key,
)
from caveat.domain.labels.schemes import Scheme, SchemeRegistry, builtin_schemes
from caveat.domain.labels.validation import (
    UNKNOWN_VALUE,
    Spot,
    Violation,
    find_violation,
    known_code,
)

# Longer than any real banner (the CAPCO register's longest run to a few hundred
# characters); bounding input keeps parsing linear and small on hostile text.
MAX_MARKING_LENGTH = 1024
_SCI, _SAP, _DISSEM = 0, 1, 2
_BLOCK_NAMES = ("SCI", "SAP", "dissemination")


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    at: int  # offset in the whole marking


@dataclass(slots=True)
class _Context:
    text: str
    groups: GroupDirectory
    schemes: SchemeRegistry
    portion: bool
    strict: bool
    banner: Label | None
    spots: dict[Spot, int] = field(default_factory=dict)  # where each value was written
    deferred: MarkingError | None = None

    def fail(
        self, detail: str, at: int, hint: str | None = None, rule: str | None = None
    ) -> MarkingError:
        return MarkingError(detail, text=self.text, position=at, hint=hint, rule=rule)

    def defer(self, detail: str, at: int, hint: str) -> None:
        """Keep the first fault of form (order, spacing, a repeat) to raise once the
        label's rules have passed, so a fault of substance is always named first."""
        if self.deferred is None:
            self.deferred = self.fail(detail, at, hint)

    def refuse(self, violation: Violation) -> MarkingError:
        """The validator's verdict pointed at the value written last among its spots."""
        found = [self.spots[spot] for spot in violation.spots if spot in self.spots]
        if not found:  # a value not written here (a bare REL): point at its category
            found = [self.spots.get((violation.spots[0][0], None), 0)]
        return self.fail(violation.detail, max(found), violation.hint, violation.rule)


def _split(piece: _Piece, sep: str) -> Iterator[_Piece]:
    start = 0
    while True:
        found = piece.text.find(sep, start)
        end = len(piece.text) if found < 0 else found
        yield _Piece(piece.text[start:end], piece.at + start)
        if found < 0:
            return
        start = found + len(sep)


def _level_table(schemes: SchemeRegistry, *, portion: bool, foreign: bool) -> dict[str, Scheme]:
    table: dict[str, Scheme] = {}
    for scheme in schemes.all():
        if scheme.capco_foreign == foreign:
            for level in scheme.levels:
                table[level.portion if portion else level.banner] = scheme
    return table


def _parse_level(ctx: _Context, piece: _Piece, *, foreign: bool) -> tuple[Scheme, int]:
    table = _level_table(ctx.schemes, portion=ctx.portion, foreign=foreign)
    scheme = table.get(piece.text)
    if scheme is not None:
        for level in scheme.levels:
            if (level.portion if ctx.portion else level.banner) == piece.text:
                return scheme, level.ordinal
    other_form = _level_table(ctx.schemes, portion=not ctx.portion, foreign=foreign)
    other_place = _level_table(ctx.schemes, portion=ctx.portion, foreign=not foreign)
    if piece.text in other_form:
        hint = (
            "portion marks use abbreviations such as S or NS"
            if ctx.portion
            else "banners spell the level out, for example SECRET or NATO SECRET"
        )
    elif piece.text in other_place:
        hint = (
            "US levels are written without the leading //"
            if foreign
            else "NATO, EU and foreign levels start with //, for example //NATO SECRET"
        )
    else:
        hint = "expected one of: " + ", ".join(sorted(table))
    raise ctx.fail(f"unknown classification {piece.text!r}", piece.at, hint)


def _block_kind(piece: _Piece) -> int:
    first = piece.text.split("/", 1)[0]
    if capco.SCI_VALUE.match(first):
        return _SCI
    if first.startswith("SAR-"):
        return _SAP
    return _DISSEM


def _parse_compartments(ctx: _Context, piece: _Piece, kind: int) -> frozenset[str]:
    pattern = capco.SCI_VALUE if kind == _SCI else capco.SAP_VALUE
    example = "SI/TK or SI-G ABCD" if kind == _SCI else "SAR-BP"
    tag = SCI if kind == _SCI else SAP
    seen: list[str] = []
    for value in _split(piece, "/"):
        if not pattern.match(value.text):
            raise ctx.fail(
                f"{value.text!r} is not a valid {_BLOCK_NAMES[kind]} value",
                value.at,
                f"write for example {example}; SCI systems are {', '.join(capco.SCI_SYSTEMS)}",
                UNKNOWN_VALUE,
            )
        if value.text in seen:  # normalise drops the repeat, as it does a control's
            if ctx.strict:
                ctx.defer(f"{value.text} is repeated", value.at, "list each value once")
            continue
        if ctx.strict and seen and value.text < seen[-1]:
            ctx.defer(
                f"{value.text} is out of order", value.at, "list values in alphabetical order"
            )
        seen.append(value.text)
        ctx.spots[(tag, value.text)] = value.at
    return frozenset(seen)


def _parse_rel_to(ctx: _Context, piece: _Piece, prefix: str) -> frozenset[str]:
    """The list after ``prefix`` (REL TO, or its title in a banner)."""
    lead = prefix + " "
    body = _Piece(piece.text[len(lead) :], piece.at + len(lead))
    if not piece.text.startswith(lead) or not body.text:
        raise ctx.fail(f"{prefix} needs a list", piece.at, "write REL TO USA, GBR")
    ctx.spots[(REL_TO, None)] = body.at
    codes: list[str] = []
    for index, entry in enumerate(_split(body, ",")):
        code, at = entry.text, entry.at
        if index:
            if ctx.strict and not (code.startswith(" ") and not code.startswith("  ")):
                ctx.defer("separate REL TO entries with comma and space", at, "USA, GBR")
            stripped = code.lstrip(" ")
            at += len(code) - len(stripped)
            code = stripped
        if not ctx.strict:
            code = code.strip(" ")
        elif code.endswith(" ") and known_code(code.rstrip(" "), ctx.groups):
            # A space before the comma (USA , GBR) is a slip of form, not an unknown code.
            ctx.defer(
                "separate REL TO entries with comma and space",
                at + len(code.rstrip(" ")),
                "USA, GBR",
            )
            code = code.rstrip(" ")
        if not code:
            raise ctx.fail("empty entry in REL TO", at, "remove the extra comma")
        if not known_code(code, ctx.groups):
            raise ctx.fail(
                f"{code!r} is neither a country code nor a known group",
                at,
                "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
                UNKNOWN_VALUE,
            )
        if code in codes:
            if ctx.strict:
                ctx.defer(f"{code} is repeated in REL TO", at, "list each code once")
            continue
        if ctx.strict and codes and rel_to_sort_key(code) < rel_to_sort_key(codes[-1]):
            ctx.defer(
                f"{code} is out of order in REL TO",
                at,
                "order: USA first, then trigraphs alphabetically, then groups alphabetically: "
                + ", ".join(ordered([*codes, code])),
            )
        codes.append(code)
        ctx.spots[(REL_TO, code)] = at
    return frozenset(codes)


def _banner_rel_to(ctx: _Context, at: int) -> frozenset[str]:
    if not ctx.portion or ctx.banner is None or ctx.banner.releasable_to is None:
        raise ctx.fail(
            "REL without a list needs the banner's REL TO list",
            at,
            "write REL TO with the list, or parse the portion with its banner",
        )
    return ctx.banner.releasable_to


def _parse_dissem(ctx: _Context, piece: _Piece) -> tuple[set[str], frozenset[str] | None]:
    controls: set[str] = set()
    rel_to: frozenset[str] | None = None
    where: set[str] = set()
    last = -1
    # A banner may spell a control out by its CAPCO title; a portion mark never does.
    table = capco.BY_PORTION if ctx.portion else {**capco.BY_NAME, **capco.BY_TITLE}
    other = {**capco.BY_NAME, **capco.BY_TITLE} if ctx.portion else capco.BY_PORTION
    for value in _split(piece, "/"):
        if value.text.startswith("REL TO"):
            control = capco.BY_NAME["REL TO"]
            rel_to = _parse_rel_to(ctx, value, "REL TO")
        elif value.text.startswith(capco.REL_TO_TITLE) and not ctx.portion:
            control = capco.BY_NAME["REL TO"]
            rel_to = _parse_rel_to(ctx, value, capco.REL_TO_TITLE)
        elif value.text == "REL" and ctx.portion:
            control = capco.BY_NAME["REL TO"]
            rel_to = _banner_rel_to(ctx, value.at)
            ctx.spots[(REL_TO, None)] = value.at
        elif value.text in table:
            control = table[value.text]
            controls.add(control.name)
        else:
            if value.text in other or value.text.startswith(capco.REL_TO_TITLE):
                form = other.get(value.text, capco.BY_NAME["REL TO"])
                hint = f"write {form.portion if ctx.portion else form.name} in a " + (
                    "portion mark" if ctx.portion else "banner"
                )
            elif not value.text:
                hint = "remove the extra /"
            else:
                hint = "known controls: " + ", ".join(
                    c.portion if ctx.portion else c.name for c in capco.DISSEM_CONTROLS
                )
            raise ctx.fail(
                f"unknown dissemination control {value.text!r}", value.at, hint, UNKNOWN_VALUE
            )
        if control.name in where:
            if control.name == "REL TO":  # two lists: which one was meant cannot be told
                raise ctx.fail(f"{value.text} is repeated", value.at, "list each control once")
            if ctx.strict:
                ctx.defer(f"{value.text} is repeated", value.at, "list each control once")
            continue
        if ctx.strict and control.order < last:
            ctx.defer(
                f"{value.text} is out of order",
                value.at,
                "register order: " + ", ".join(c.name for c in capco.DISSEM_CONTROLS),
            )
        last = max(last, control.order)
        where.add(control.name)
        ctx.spots[(DISSEM, control.name)] = value.at
    return controls, rel_to


def _bound(text: str) -> None:
    if len(text) > MAX_MARKING_LENGTH:
        raise MarkingError(
            f"a marking is at most {MAX_MARKING_LENGTH} characters",
            text=text[:MAX_MARKING_LENGTH],
            position=MAX_MARKING_LENGTH,
            hint="this is not a banner or portion mark",
        )


def _parse(ctx: _Context) -> Label:
    text = ctx.text
    if not text:
        raise ctx.fail("empty marking", 0, "write for example UNCLASSIFIED")
    _bound(text)
    for at, char in enumerate(text):
        if char != char.upper():
            raise ctx.fail("markings are written in capitals", at, text.upper())
    if text != text.strip():
        at = 0 if text[0].isspace() else len(text.rstrip())
        raise ctx.fail("a marking has no surrounding spaces", at, text.strip())
    start, end = 0, len(text)
    if ctx.portion:
        if not text.startswith("("):
            raise ctx.fail("a portion mark is written in parentheses", 0, f"({text})")
        if not text.endswith(")"):
            raise ctx.fail("the portion mark is not closed", len(text), f"{text})")
        start, end = 1, len(text) - 1
    elif text.startswith("("):
        raise ctx.fail("a banner is not written in parentheses", 0, "parse it as a portion mark")
    foreign = text.startswith("//", start)
    if foreign:
        start += 2
    blocks = list(_split(_Piece(text[start:end], start), "//"))
    for block in blocks:
        if not block.text:
            raise ctx.fail("empty category between //", block.at, "remove the extra //")
    scheme, ordinal = _parse_level(ctx, blocks[0], foreign=foreign)
    categories: list[Category] = []
    controls: set[str] = set()
    rel_to: frozenset[str] | None = None
    last = -1
    for block in blocks[1:]:
        kind = _block_kind(block)
        if kind <= last:
            raise ctx.fail(
                f"{_BLOCK_NAMES[kind]} block is repeated or out of order",
                block.at,
                f"order: {capco.BLOCK_ORDER}",
            )
        last = kind
        if kind == _DISSEM:
            controls, rel_to = _parse_dissem(ctx, block)
        else:
            values = _parse_compartments(ctx, block, kind)
            tag = SCI if kind == _SCI else SAP
            categories.append(Category(tag, CategoryType.RESTRICTIVE, values))
    if controls:
        categories.append(Category(DISSEM, CategoryType.RESTRICTIVE, frozenset(controls)))
    if rel_to is not None:
        categories.append(Category(REL_TO, CategoryType.PERMISSIVE, rel_to))
    label = Label(policy=scheme.code, classification=ordinal, categories=tuple(categories))
    # The label's rules are the validator's, exactly as for canonical JSON.
    violation = find_violation(label, schemes=ctx.schemes, groups=ctx.groups)
    if violation is not None:
        raise ctx.refuse(violation)
    if ctx.deferred is not None:
        raise ctx.deferred
    return label


def parse_banner(
    text: str, *, groups: GroupDirectory, on: date, schemes: SchemeRegistry | None = None
) -> Label:
    """Parse a banner such as ``SECRET//REL TO USA, FVEY``. A REL TO group code must be
    one ``groups`` knows, whatever its members on ``on``; the day matters where groups are
    expanded or collapsed (:func:`normalise`), and is taken here for the same signature."""
    registry = schemes or builtin_schemes()
    return _parse(_Context(text, groups, registry, portion=False, strict=True, banner=None))


def parse_portion(
    text: str,
    *,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
    banner: Label | None = None,
) -> Label:
    """Parse a portion mark such as ``(S//NF)``; ``banner`` resolves a bare ``REL``."""
    registry = schemes or builtin_schemes()
    return _parse(_Context(text, groups, registry, portion=True, strict=True, banner=banner))


# Space, tab, CR and LF around a marking are refused by the parser with a hint to remove
# them; inside it no control, format (zero-width, bidi) or separator character has any
# meaning, and one would make two markings look alike that are not.
_SURROUNDING = " \t\r\n"
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def check_marking_input(text: str) -> str:
    """The one check of marking text from every entry point (API, web form, CLI, upload),
    run by :func:`parse_marking`: an invisible or control character, or a space other than
    the plain one (a no-break space), is refused with its position, never dropped;
    surrounding whitespace is left for the parser to refuse."""
    inner = text.strip(_SURROUNDING)
    offset = len(text) - len(text.lstrip(_SURROUNDING))
    for index, char in enumerate(inner):
        kind = unicodedata.category(char)
        if kind in _INVISIBLE:
            raise MarkingError(
                f"the invisible character U+{ord(char):04X} is not allowed in a marking",
                text=text,
                position=offset + index,
                hint="retype the marking; text copied from documents can carry hidden characters",
            )
        if kind == "Zs" and char != " ":  # a no-break or other space that looks like one
            raise MarkingError(
                f"the space character U+{ord(char):04X} is not a plain space",
                text=text,
                position=offset + index,
                hint="retype the spaces; text copied from documents can carry no-break spaces",
            )
    return text


def parse_marking(
    text: str, *, groups: GroupDirectory, on: date, schemes: SchemeRegistry | None = None
) -> Label:
    """Parse either form: text in parentheses is a portion mark, anything else a banner.
    Every entry point comes here, so every one refuses the same text alike."""
    check_marking_input(text)
    if text.startswith("("):
        return parse_portion(text, groups=groups, on=on, schemes=schemes)
    return parse_banner(text, groups=groups, on=on, schemes=schemes)


def _render(label: Label, registry: SchemeRegistry, *, portion: bool, banner: Label | None) -> str:
    scheme = registry.get(label.policy)
    level = scheme.level(label.classification)
    parts = [("//" if scheme.capco_foreign else "") + (level.portion if portion else level.banner)]
    for category in label.categories:
        known = {SCI, SAP, DISSEM, REL_TO}
        if category.tag not in known and category.type is not CategoryType.INFORMATIVE:
            # Dropping a restriction from the text would widen access: refuse instead.
            raise InvalidLabel(f"category {category.tag} has no CAPCO text form")
    for tag in (SCI, SAP):
        if label.values(tag):
            parts.append("/".join(sorted(label.values(tag))))
    dissem: list[tuple[int, str]] = []
    for name in label.values(DISSEM):
        control = capco.BY_NAME.get(name)
        if control is None or name == "REL TO":
            raise InvalidLabel(f"dissemination control {name!r} has no CAPCO text form")
        dissem.append((control.order, control.portion if portion else control.name))
    rel_to = label.releasable_to
    if rel_to is not None:
        same = portion and banner is not None and banner.releasable_to == rel_to
        text = "REL" if same else "REL TO " + ", ".join(ordered(rel_to))
        dissem.append((capco.REL_TO_ORDER, text))
    if dissem:
        parts.append("/".join(text for _, text in sorted(dissem)))
    return "//".join(parts)


def render_banner(label: Label, *, schemes: SchemeRegistry | None = None) -> str:
    """The banner line for ``label`` (informative categories such as TLP are not shown)."""
    return _render(label, schemes or builtin_schemes(), portion=False, banner=None)


def render_portion(
    label: Label, *, schemes: SchemeRegistry | None = None, banner: Label | None = None
) -> str:
    """The portion mark for ``label``; with ``banner``, an identical REL TO list becomes ``REL``."""
    return "(" + _render(label, schemes or builtin_schemes(), portion=True, banner=banner) + ")"


def _lead_level(text: str, registry: SchemeRegistry, writer: str | None) -> str:
    """A banner whose level lacks its leading ``//`` (``NATO SECRET``) or is in the
    writer's own words (``OFFICIAL-SENSITIVE`` from a British writer), in the form the
    parser reads. A level US banners use bare (``SECRET``) always stays the US level:
    CAPCO reads it so, and a guess from the writer's nation must not change that."""
    if text.startswith(("(", "//")):
        return text
    head, sep, rest = text.partition("//")
    if head in _level_table(registry, portion=False, foreign=False):
        return text
    if head in _level_table(registry, portion=False, foreign=True):
        return "//" + text
    if writer is not None and writer in registry:
        for level in registry.get(writer).levels:
            if head in (level.name.upper(), level.id):
                return "//" + level.banner + sep + rest
    return text


def normalise(
    text: str,
    groups: GroupDirectory,
    on: date,
    *,
    schemes: SchemeRegistry | None = None,
    writer: str | None = None,
) -> str:
    """The corrected form of a marking: capitals, register order, groups collapsed.

    Fixes order, spacing, duplicates and case, and writes a foreign level its leading
    ``//`` (``NATO SECRET`` reads as ``//NATO SECRET``; with ``writer``, the scheme of
    the person writing, ``OFFICIAL-SENSITIVE`` reads as ``//GBR OFFICIAL-SENSITIVE``).
    A marking that is wrong in substance (REL TO with NOFORN, unknown codes) still
    raises MarkingError.
    """
    registry = schemes or builtin_schemes()
    _bound(text)
    cleaned = text.strip().upper()
    # Spacing is the one thing a reader cannot misjudge, so it is repaired silently.
    cleaned = re.sub(r"\s*(/+)\s*", r"\1", cleaned)
    cleaned = re.sub(r"\s*,\s*", ", ", re.sub(r"\s+", " ", cleaned))
    cleaned = _lead_level(cleaned, registry, writer)
    portion = cleaned.startswith("(")
    ctx = _Context(cleaned, groups, registry, portion=portion, strict=False, banner=None)
    label = _parse(ctx)
    rel_to = label.releasable_to
    if rel_to is not None:
        nations = groups.expand(rel_to, on)
        # USA and the label's own nation stay named where the writer named them
        # (REL TO USA, FVEY; //GBR SECRET//REL TO GBR, FVEY): collapsing never swaps
        # one for the other, so a list already collapsed reads back as written.
        own = registry.get(label.policy).nation or LEADING_NATION
        named = {LEADING_NATION, own} & rel_to
        collapsed = collapse(nations, groups, on, keep=named)
        categories = [c for c in label.categories if c.tag != REL_TO]
        categories.append(Category(REL_TO, CategoryType.PERMISSIVE, collapsed))
        label = replace(label, categories=tuple(categories))
    rendered = _render(label, registry, portion=portion, banner=None)
    return f"({rendered})" if portion else rendered
