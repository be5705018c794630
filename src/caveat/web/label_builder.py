"""The structured label builder as the upload and relabel forms show it.

The builder's state travels in its own fields (``lb_*``): the level, ticked SCI systems
and dissemination controls, REL TO chips and control-entry chips. Every change posts
them to ``/labels/build``, which reads them here into a ``Choice``, lets the domain
builder compose the label (``domain.labels.builder``: only what the one validator
accepts), and writes the result into the free-text label and controls fields, which
are what the form submits and what the server parses again. Without scripts the
builder stays hidden and the free-text fields work alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from caveat.domain.errors import InvalidInput
from caveat.domain.export_control import (
    Suggestion,
    parse_control_entry,
    render_control_entry,
    suggest_entries,
)
from caveat.domain.labels import MarkingError, capco, normalise, parse_marking
from caveat.domain.labels.builder import (
    Built,
    Choice,
    LevelOption,
    build,
    choice_of,
    level_options,
    parse_level_value,
    rel_to_codes,
)
from caveat.domain.nations import all_nations
from caveat.services.kernel.principal import Principal
from caveat.services.policy import PolicyService
from caveat.web.labelling import writer_scheme

DISSEM_TITLES = {c.name: c.title.lower() for c in capco.DISSEM_CONTROLS}
MAX_CHIPS = 64  # REL TO codes or control entries: more is not a label anyone builds
MAX_CODE = 64


@dataclass(frozen=True, slots=True)
class BuilderInput:
    """The builder's fields as posted (lists already bounded)."""

    level: str = ""
    sci: tuple[str, ...] = ()
    dissem: tuple[str, ...] = ()
    rel_on: bool = False
    rel: tuple[str, ...] = ()
    rel_new: str = ""
    controls: tuple[str, ...] = ()
    control_new: str = ""
    act: str = ""  # add_rel, drop_rel, add_control, drop_control
    arg: str = ""


@dataclass(slots=True)
class BuilderView:
    """What the builder fragment renders."""

    levels: list[LevelOption]
    level: str = ""  # the chosen level's value, "" for none yet
    built: Built | None = None
    rel_codes: list[str] = field(default_factory=list)
    rel_error: str = ""
    controls: list[Suggestion] = field(default_factory=list)
    control_error: str = ""
    nations: dict[str, str] = field(default_factory=dict)
    groups: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=lambda: dict(DISSEM_TITLES))

    @property
    def text(self) -> str:
        """What the free-text label field gets: the composed banner, or nothing."""
        return self.built.banner if self.built is not None and self.built.ok else ""

    @property
    def controls_text(self) -> str:
        return ", ".join(s.entry for s in self.controls)


def _bounded(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip().upper()[:MAX_CODE] for v in values[:MAX_CHIPS] if v.strip())


def builder_input(
    *,
    level: str,
    sci: list[str],
    dissem: list[str],
    rel_on: str,
    rel: list[str],
    rel_new: str,
    controls: list[str],
    control_new: str,
    act: str,
    arg: str,
) -> BuilderInput:
    """The posted fields, trimmed and bounded (a hostile post cannot grow the work)."""
    return BuilderInput(
        level=level.strip()[:MAX_CODE],
        sci=_bounded(sci),
        dissem=_bounded(dissem),
        rel_on=rel_on == "on",
        rel=_bounded(rel),
        rel_new=rel_new.strip().upper()[:MAX_CODE],
        controls=tuple(c.strip()[:100] for c in controls[:MAX_CHIPS] if c.strip()),
        control_new=control_new.strip()[:100],
        act=act[:20],
        arg=arg.strip()[:100],
    )


def _entry(text: str) -> Suggestion:
    """A control entry checked against its list (raises InvalidInput when not on it)."""
    [found] = suggest_entries(render_control_entry(parse_control_entry(text)))
    return found


def _controls(view: BuilderView, posted: BuilderInput) -> None:
    entries = [e for e in posted.controls if not (posted.act == "drop_control" and e == posted.arg)]
    if posted.act == "add_control":
        entries.append(posted.arg or posted.control_new)
    seen: dict[str, Suggestion] = {}
    for text in entries:
        try:
            found = _entry(text)
        except (InvalidInput, ValueError) as exc:
            detail = exc.detail if isinstance(exc, InvalidInput) else str(exc)
            hint = exc.hint if isinstance(exc, InvalidInput) and exc.hint else ""
            view.control_error = f"{detail}{' — ' + hint if hint else ''}"
            continue
        seen.setdefault(found.entry, found)
    view.controls = list(seen.values())


def builder_view(policy: PolicyService, principal: Principal, posted: BuilderInput) -> BuilderView:
    """Read the posted builder fields and compose the label they make."""
    schemes = policy.schemes
    groups = policy.environment().groups
    view = BuilderView(
        levels=level_options(schemes, writer_scheme(policy, principal)),
        nations=all_nations(),
        groups=sorted(g.code for g in groups.all()),
    )
    _controls(view, posted)
    if not posted.level:
        return view
    try:
        scheme, ordinal = parse_level_value(posted.level, schemes)
    except InvalidInput:
        return view
    view.level = posted.level
    rel: set[str] = set(posted.rel)
    if posted.act == "drop_rel":
        rel.discard(posted.arg.upper())
    if posted.act == "add_rel":
        code = (posted.arg or posted.rel_new).upper()
        if code and code not in view.nations and not groups.is_group(code):
            view.rel_error = (
                f"{code!r} is neither a country code nor a known group: use ISO 3166-1 "
                "alpha-3 codes (GBR) or a configured group (FVEY)"
            )
        elif code:
            rel.add(code)
    rel = {code for code in rel if code in view.nations or groups.is_group(code)}
    choice = Choice(
        scheme,
        ordinal,
        frozenset(posted.sci),
        frozenset(posted.dissem),
        frozenset(rel) if posted.rel_on or posted.act == "add_rel" else None,
    )
    try:
        view.built = build(choice, schemes=schemes, groups=groups)
    except InvalidInput as exc:
        view.rel_error = exc.detail
        view.built = build(replace(choice, rel_to=None), schemes=schemes, groups=groups)
    view.rel_codes = rel_to_codes(view.built.choice)
    return view


def view_from_text(
    policy: PolicyService, principal: Principal, text: str, controls: str, on: date
) -> BuilderView:
    """The builder showing a label already typed (a form shown again, or the current
    label of an artifact being relabelled); empty when the builder cannot show it."""
    groups = policy.environment().groups
    entries = [c.strip() for c in controls.split(",") if c.strip()]
    empty = builder_view(policy, principal, builder_input_of(controls=entries))
    if not text.strip() or text.strip().startswith("{"):
        return empty
    try:
        fixed = normalise(
            text, groups, on, schemes=policy.schemes, writer=writer_scheme(policy, principal)
        )
        label = parse_marking(fixed, groups=groups, on=on, schemes=policy.schemes)
    except (MarkingError, InvalidInput):
        return empty
    choice = choice_of(label)
    if choice is None or not any(o.scheme == choice.scheme for o in empty.levels):
        return empty
    posted = builder_input_of(
        level=f"{choice.scheme}:{choice.level}",
        sci=sorted(choice.sci),
        dissem=sorted(choice.dissem),
        rel_on="on" if choice.rel_to is not None else "",
        rel=sorted(choice.rel_to or ()),
        controls=entries,
    )
    return builder_view(policy, principal, posted)


def builder_input_of(
    *,
    level: str = "",
    sci: list[str] | None = None,
    dissem: list[str] | None = None,
    rel_on: str = "",
    rel: list[str] | None = None,
    controls: list[str] | None = None,
) -> BuilderInput:
    """Builder fields for a known state (no action pending)."""
    return builder_input(
        level=level,
        sci=sci or [],
        dissem=dissem or [],
        rel_on=rel_on,
        rel=rel or [],
        rel_new="",
        controls=controls or [],
        control_new="",
        act="",
        arg="",
    )
