"""The structured label builder's requests: compose the label, look up control entries.

``/labels/build`` answers every change of the builder with the builder itself (options
that would make an invalid label disabled, with the validator's reason), the composed
text written into the form's free-text label and controls fields, and the live result:
banner, portion mark, national form, and a warning when the author could not read
content so labelled. ``/labels/controls`` is the catalogue lookup beside the entry
field. Neither changes anything; the form's submission is parsed again by the service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from caveat.domain.export_control import suggest_entries
from caveat.web.label_builder import builder_input, builder_view
from caveat.web.labelling import LabelCheck, check_label, with_readability
from caveat.web.pages import render
from caveat.web.session import Page, node_of

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]
Many = Annotated[list[str] | None, Form()]


@router.post("/labels/build")
def build_label(
    request: Request,
    page: Page,
    lb_level: Text = "",
    lb_sci: Many = None,
    lb_dissem: Many = None,
    lb_rel_on: Text = "",
    lb_rel: Many = None,
    lb_rel_new: Text = "",
    lb_ctl: Many = None,
    lb_ctl_new: Text = "",
    lb_act: Text = "",
    lb_arg: Text = "",
    lb_artifact: Text = "",
    project: Text = "",
    dual_use: Text = "",
) -> HTMLResponse:
    """The builder after one change, and the label it makes written into the form."""
    node, principal = node_of(request), page.principal
    assert principal is not None
    posted = builder_input(
        level=lb_level,
        sci=lb_sci or [],
        dissem=lb_dissem or [],
        rel_on=lb_rel_on,
        rel=lb_rel or [],
        rel_new=lb_rel_new,
        controls=lb_ctl or [],
        control_new=lb_ctl_new,
        act=lb_act,
        arg=lb_arg,
    )
    view = builder_view(node.policy, principal, posted)
    built = view.built
    if built is None:
        check = LabelCheck("", False, error="choose a level to build a label")
    elif built.violation is not None:
        check = LabelCheck(
            "", False, error=built.violation.detail, hint=built.violation.hint or None
        )
    else:
        check = with_readability(
            check_label(node.policy, principal, view.text, node.uow.clock().date()),
            node.artifacts,
            principal,
            controls=[s.entry for s in view.controls],
            dual_use=dual_use == "on",
            project=project,
            artifact_id=lb_artifact,
        )
    return render(
        request,
        "label_builder.html",
        page,
        b=view,
        check=check,
        form={"label": view.text, "controls": view.controls_text},
        artifact_id=lb_artifact,
        readability=True,
        # The text field keeps an expert's entries until the builder's own list changes.
        controls_changed=lb_act in {"add_control", "drop_control"},
    )


@router.get("/labels/controls")
def lookup_controls(
    request: Request, page: Page, lb_ctl_new: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    """Entries of the control-list catalogue matching what is typed, to add with a click."""
    return render(
        request,
        "label_controls_lookup.html",
        page,
        query=lb_ctl_new.strip()[:100],
        found=suggest_entries(lb_ctl_new[:100]),
    )
