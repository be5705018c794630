"""Rendering pages: one Jinja2 environment (autoescape on), a common page context."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from caveat.bootstrap.container import Node
from caveat.domain.errors import CaveatError
from caveat.domain.identity import Role
from caveat.domain.labels import Label
from caveat.services.kernel.principal import Principal
from caveat.web.banners import page_banner
from caveat.web.names import Names
from caveat.web.nav import navigation_for
from caveat.web.wording import citation, method_words, unit_text

_TEMPLATES = str(resources.files("caveat.web").joinpath("templates"))
ENV = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a missing variable is a bug, not an empty string
    trim_blocks=True,
    lstrip_blocks=True,
)
ADMIN_ROLES = frozenset({Role.NODE_OPERATOR, Role.SECURITY_OFFICER})
# An officer is who others ask: they are told who else decides (issue 16).
_OFFICER_ASKS = "another security officer of your organisation, or the node operator"


def advice(hint: str | None, principal: Principal | None) -> str | None:
    """``hint`` worded for the viewer: a security officer is not told to ask "your
    security officer", but who else can decide."""
    if hint and principal is not None and Role.SECURITY_OFFICER in principal.roles:
        return hint.replace("your security officer", _OFFICER_ASKS)
    return hint


ENV.globals["advice"] = advice


def dot_breaks(text: object) -> Markup:
    """``text`` escaped, with a line-break opportunity after each dot and underscore: a
    narrow column wraps ``artifact.created`` as "artifact./created", never mid-word."""
    escaped = str(escape(str(text)))
    return Markup(escaped.replace(".", ".<wbr>").replace("_", "_<wbr>"))  # noqa: S704 - escaped above


ENV.filters["dot_breaks"] = dot_breaks
ENV.filters["method_words"] = method_words
ENV.filters["unit_text"] = unit_text
ENV.filters["citation"] = citation


@dataclass
class PageContext:
    """Who is looking, and what the page shows (labels drive the banner)."""

    principal: Principal | None
    csrf: str
    labels: list[Label | None] = field(default_factory=list)  # None: shown, unreadable
    idle_seconds: int = 0

    def show(self, label: Label | None) -> None:
        """Count an item the page displays in its banner; ``None`` (its label could not
        be read) marks the page at the highest level the viewer may see."""
        self.labels.append(label)

    def holds(self, *roles: Role) -> bool:
        """Whether the viewer holds any of ``roles``."""
        return self.principal is not None and bool(self.principal.roles & frozenset(roles))

    @property
    def is_admin(self) -> bool:
        return self.holds(*ADMIN_ROLES)


def _unread(node: Node, principal: Principal | None) -> int | None:
    """The bell's count of the viewer's unread notifications; None when nobody is signed
    in or the count cannot be read (an error page must still render)."""
    if principal is None:
        return None
    try:
        return node.notifications.unread_count(principal)
    except CaveatError:
        return None


def render(
    request: Request, template: str, page: PageContext, *, status: int = 200, **values: Any
) -> HTMLResponse:
    """Render ``template`` with the page context, banner, navigation and flash message."""
    node: Node = request.app.state.node
    html = ENV.get_template(template).render(
        page=page,
        me=page.principal,
        banner=page_banner(node, page.principal, page.labels),
        nav=navigation_for(page.principal, node.uow.clock()),
        unread=_unread(node, page.principal),
        flash=request.query_params.get("done"),
        path=request.url.path,
        # Ids in explanations and listings as names, for what this viewer may see.
        readable=None if page.principal is None else Names(node, page.principal),
        **values,
    )
    return HTMLResponse(html, status_code=status)
