"""The proficiency workflows in the browser (issue 19, ADR 0024 addendum): a laboratory
replaces its result while the round is open, or declares the procedure version it follows;
the coordinator records the items' homogeneity and stability checks.

The forms live on the round page (``proficiency_round_workflows.html``, included by
``proficiency_round.html``); a refusal shows the round page again with the service's
message, as the round page's own forms do. The service decides everything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput
from caveat.services.proficiency import ResultDraft
from caveat.web import forms
from caveat.web.routes.proficiency import (
    BASE,
    Number,
    Text,
    _floats,
    _optional_number,
    _principal,
    _round_page,
)
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)
# A refused replacement (a label that would loosen) is shown in the page, not as an error page.
SHOWN = forms.FIXABLE | {ErrorKind.DENIED}


@router.post(f"{BASE}/rounds/{{round_id}}/results/replace")
def resubmit(
    request: Request,
    page: Page,
    round_id: str,
    item: Text = "",
    value: Number = "",
    unit: Annotated[str, Form(max_length=60)] = "",
    u: Number = "",
    k: Number = "",
    replicates: Annotated[str, Form(max_length=4000)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
    label: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Replace one result of your laboratory (the replaced revision is kept)."""
    try:
        number = _optional_number(value, "value")
        if number is None:
            raise InvalidInput("the value is required", code="invalid_input", field="value")
        node_of(request).proficiency.resubmit(
            _principal(page),
            ctx_of(request),
            round_id,
            ResultDraft(
                item,
                number,
                unit,
                _optional_number(u, "standard_uncertainty"),
                _optional_number(k, "coverage_factor"),
                _floats(replicates, "replicates"),
                notes,
            ),
            label=label.strip() or None,
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, SHOWN)
        return _round_page(request, page, round_id, error=message, status=status)
    return forms.done(f"{BASE}/rounds/{round_id}", f"result for {item} replaced")


@router.post(f"{BASE}/rounds/{{round_id}}/declaration")
def declare(
    request: Request,
    page: Page,
    round_id: str,
    version: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """Declare the procedure version your laboratory follows (flagged if not the round's)."""
    try:
        node_of(request).proficiency.declare_procedure(
            _principal(page), ctx_of(request), round_id, version
        )
    except CaveatError as exc:
        message, status = forms.refusal(exc, SHOWN)
        return _round_page(request, page, round_id, error=message, status=status)
    return forms.done(f"{BASE}/rounds/{round_id}", "procedure version declared")


def _table(text: str) -> list[tuple[float, ...]]:
    """Rows of numbers: one line per test item, replicates separated by ;."""
    return [_floats(line, "results") for line in text.splitlines() if line.strip()]


@router.post(f"{BASE}/rounds/{{round_id}}/checks")
def record_check(
    request: Request,
    page: Page,
    round_id: str,
    kind: Annotated[str, Form(max_length=12)] = "",
    item: Text = "",
    results: Annotated[str, Form(max_length=20_000)] = "",
    before: Annotated[str, Form(max_length=4000)] = "",
    after: Annotated[str, Form(max_length=4000)] = "",
    sigma_pt: Number = "",
) -> Response:
    """Record a homogeneity or stability check (the round's coordinator)."""
    service = node_of(request).proficiency
    try:
        sigma = _optional_number(sigma_pt, "sigma_pt")
        if kind == "homogeneity":
            made = service.record_homogeneity(
                _principal(page),
                ctx_of(request),
                round_id,
                item=item,
                results=_table(results),
                sigma_pt=sigma,
            )
        elif kind == "stability":
            made = service.record_stability(
                _principal(page),
                ctx_of(request),
                round_id,
                item=item,
                before=_floats(before, "before"),
                after=_floats(after, "after"),
                sigma_pt=sigma,
            )
        else:
            raise InvalidInput(
                "kind is homogeneity or stability", code="invalid_input", field="kind"
            )
    except CaveatError as exc:
        message, status = forms.refusal(exc, forms.FIXABLE)
        return _round_page(request, page, round_id, error=message, status=status)
    verdict = "passes" if made.passed else "fails"
    return forms.done(f"{BASE}/rounds/{round_id}", f"{made.kind} check of {item} {verdict}")
