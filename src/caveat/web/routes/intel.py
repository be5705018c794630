"""Threat intelligence in the browser: TAXII collections, their objects, one object
with its label, TLP, versions and neighbourhood, and the subscriptions to partners'
collections with their status (issue 20).

Every page reads through ``TaxiiService`` (``browse``, ``object_page``), which filters by
the policy inside its queries: a page lists, draws and counts only versions the viewer
may read, and an object they may not read answers exactly as one that is not stored.
Each page that showed objects is one ``taxii.objects_read`` ledger event.

The banner rolls up every label the page shows: the listed objects, or on an object's
page the version shown, its other versions, what it contains and every node and edge of
its graph. The filters offer fixed lists (STIX types, the five levels in the viewer's
words, the node's organisations), never values read from the objects.

The neighbourhood graph is an SVG laid out here and written by the template as
attributes only (the CSP forbids inline style and script): each node is a link with its
name and type as text, and a table beside it gives every edge in words.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput
from caveat.domain.labels import TLP, Label, render_banner
from caveat.domain.permissions import Act, Target
from caveat.domain.taxii_feeds import credentials as feed_credentials
from caveat.services.artifacts import parse_label_text
from caveat.services.intel import Entry, Listing, ObjectPage, stix_time
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Principal
from caveat.web import forms
from caveat.web.labelling import label_of, normalised_text, portion, style
from caveat.web.pages import PageContext, render
from caveat.web.session import Page, ctx_of, node_of

router = APIRouter(include_in_schema=False)

# TLP 2.0 (FIRST): coloured text on black; CLEAR is white.
TLP_COLOURS = {
    "CLEAR": "#ffffff",
    "GREEN": "#33ff00",
    "AMBER": "#ffc000",
    "AMBER+STRICT": "#ffc000",
    "RED": "#ff2b2b",
}
# Node fills by kind of STIX object: dark enough for 3:1 against white (WCAG 1.4.11); the
# type is written beside each node too, so colour is never the only cue.
TYPE_FILLS = {
    "indicator": "#0b4f8a",
    "malware": "#a1131a",
    "threat-actor": "#5b2c86",
    "intrusion-set": "#5b2c86",
    "campaign": "#7a3e00",
    "attack-pattern": "#8a1c5c",
    "tool": "#3d5a1d",
    "vulnerability": "#9c2f00",
    "identity": "#1d6b33",
    "location": "#1d6b33",
    "report": "#4a5360",
    "sighting": "#b03a00",
    "observed-data": "#2c5d73",
}
DEFAULT_FILL = "#4a5360"
# STIX 2.1 object types (§4-6): the type filter's choices.
STIX_TYPES = (
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
    "relationship", "sighting", "artifact", "autonomous-system", "directory", "domain-name",
    "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
    "network-traffic", "process", "software", "url", "user-account", "windows-registry-key",
    "x509-certificate",
)  # fmt: skip
MAX_DRAWN = 24  # nodes around the object; the table lists every edge


@dataclass(frozen=True, slots=True)
class Shown:
    """An object version as a page shows it."""

    entry: Entry
    name: str
    portion: str
    banner: str
    style: str
    href: str


def _name(stix: dict[str, Any]) -> str:
    """What a person calls the object: its name, else what it is or holds."""
    for key in ("name", "value", "display_name"):
        value = stix.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    kind = str(stix.get("type", "object"))
    if kind == "relationship":
        return str(stix.get("relationship_type", "related-to"))
    if kind == "sighting":
        count = stix.get("count")
        return f"sighting ({count} times)" if isinstance(count, int) else "sighting"
    return str(stix.get("id", kind))


def _href(collection_id: str, object_id: str) -> str:
    return f"/intel/collections/{collection_id}/objects/{object_id}"


def _me(page: PageContext) -> Principal:
    assert page.principal is not None
    return page.principal


class _Labels:
    """Labels of one page: parsed once each, counted in the banner, rendered for the
    viewer (their national form where their scheme has one, else the originator's)."""

    def __init__(self, request: Request, page: PageContext) -> None:
        self._policy = node_of(request).policy
        self._scheme = self._policy.viewer_scheme(_me(page))
        self._page = page
        self._parsed: dict[str, Label | None] = {}

    def label(self, label_json: str) -> Label | None:
        if label_json not in self._parsed:
            self._parsed[label_json] = label_of(label_json)
        return self._parsed[label_json]

    def show(self, label_json: str) -> Label | None:
        """The label, counted in the page's banner (None: unreadable, marks it high)."""
        label = self.label(label_json)
        self._page.show(label)
        return label

    def banner(self, label: Label | None) -> str:
        if label is None:
            return "UNREADABLE LABEL"
        national = self._policy.banner_in(label, self._scheme)
        return national or render_banner(label, schemes=self._policy.schemes)

    def originator_form(self, label: Label | None) -> str:
        if label is None:
            return "UNREADABLE LABEL"
        return render_banner(label, schemes=self._policy.schemes)

    def shown(self, collection_id: str, entry: Entry) -> Shown:
        label = self.show(entry.label_json)
        return Shown(
            entry,
            _name(entry.stix),
            portion(label),
            self.banner(label),
            style(label),
            _href(collection_id, entry.object_id),
        )


# --- collections -------------------------------------------------------------------


@router.get("/intel")
def collections(request: Request, page: Page) -> HTMLResponse:
    """The TAXII collections of the viewer's projects."""
    node = node_of(request)
    found = node.taxii.collections(_me(page))
    projects = {p.id: p.name for p in node.projects.list_projects()}
    return render(
        request,
        "intel_collections.html",
        page,
        collections=found,
        projects=projects,
        base_url=str(request.base_url).rstrip("/"),
    )


@router.get("/intel/collections/{collection_id}")
def collection(
    request: Request,
    collection_id: str,
    page: Page,
    type: Annotated[str, Query(max_length=250)] = "",
    level: Annotated[str, Query(max_length=1)] = "",
    source: Annotated[str, Query(max_length=64)] = "",
    next: Annotated[str, Query(max_length=24)] = "",
) -> HTMLResponse:
    """The objects of a collection the viewer may read (the last version of each),
    newest first, filtered by type, classification level and source."""
    node, me = node_of(request), _me(page)
    info = node.taxii.collection(me, collection_id)
    listing: Listing = node.taxii.browse(
        me,
        ctx_of(request),
        collection_id,
        types=(type,) if type else (),
        level=int(level) if level.isdigit() else None,
        source=source or None,
        next=next or None,
    )
    labels = _Labels(request, page)
    rows = [labels.shown(collection_id, entry) for entry in listing.items]
    filters = {"type": type, "level": level, "source": source}
    kept = {k: v for k, v in filters.items() if v}
    organisations = sorted(node.registry.list_organisations(), key=lambda o: o.name)
    return render(
        request,
        "intel_collection.html",
        page,
        c=info,
        rows=rows,
        filters=filters,
        filtered=bool(kept),
        kept=kept,
        # The choices are fixed lists, never read from the objects: the same for everyone.
        types=STIX_TYPES,
        levels=_level_names(request, me),
        sources=[(o.id, o.name) for o in organisations],
        next_cursor=listing.next,
        paged=bool(next),
    )


def _level_names(request: Request, me: Principal) -> list[tuple[int, str]]:
    """The five common levels in the viewer's national words (NATO's otherwise)."""
    policy = node_of(request).policy
    scheme = policy.schemes.get(policy.viewer_scheme(me) or "NATO")
    return [(i, scheme.level_for_common(i).name) for i in range(5)]


# --- one object --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A drawn node: where, its fill, and its text."""

    id: str
    href: str
    x: float
    y: float
    r: int
    fill: str
    name: str
    type: str
    portion: str
    centre: bool


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """A drawn edge from one node's rim to the other's, with its text at the middle."""

    x1: float
    y1: float
    x2: float
    y2: float
    tx: float
    ty: float
    anchor: str  # the text's anchor: beside the edge, never across it
    text: str
    portion: str


@dataclass(frozen=True, slots=True)
class Graph:
    """The neighbourhood as an SVG: size, nodes, edges and a text description."""

    width: int
    height: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    desc: str


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def layout(
    centre: Shown,
    around: list[Shown],
    links: list[tuple[str, str, str, str]],
) -> Graph:
    """The object in the middle (when it is an end of an edge, as it is unless it is a
    relationship itself) and its neighbours on a circle; ``links`` are (source, target,
    text, portion) by object id."""
    width, height, ring = 720, 420, 160
    cx, cy = width / 2, height / 2
    ends = {x for s, t, _, _ in links for x in (s, t)}
    placed: dict[str, GraphNode] = {}
    if centre.entry.object_id in ends or not links:
        placed[centre.entry.object_id] = GraphNode(
            centre.entry.object_id, centre.href, cx, cy, 26,
            TYPE_FILLS.get(centre.entry.type, DEFAULT_FILL), _short(centre.name),
            centre.entry.type, centre.portion, True,
        )  # fmt: skip
    drawn = around[:MAX_DRAWN]
    for i, shown in enumerate(drawn):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(drawn))
        if len(drawn) == 2 and centre.entry.object_id not in placed:
            angle = math.pi * (1 - i)  # the two ends of a relationship: left and right
        placed[shown.entry.object_id] = GraphNode(
            shown.entry.object_id, shown.href,
            round(cx + ring * math.cos(angle), 1), round(cy + ring * 0.78 * math.sin(angle), 1),
            18, TYPE_FILLS.get(shown.entry.type, DEFAULT_FILL), _short(shown.name),
            shown.entry.type, shown.portion, False,
        )  # fmt: skip
    edges = []
    for source, target, text, mark in links:
        a, b = placed.get(source), placed.get(target)
        if a is None or b is None:
            continue  # beyond the drawn nodes: the table lists it
        dx, dy = b.x - a.x, b.y - a.y
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        x1, y1 = a.x + ux * (a.r + 2), a.y + uy * (a.r + 2)
        x2, y2 = b.x - ux * (b.r + 6), b.y - uy * (b.r + 6)
        # The text sits beside the middle of the edge, on the side its normal points to.
        px, py = (uy, -ux) if uy > 0 or (uy == 0 and ux < 0) else (-uy, ux)
        anchor = "start" if px > 0.3 else "end" if px < -0.3 else "middle"
        # ... and away from the object in the middle, whose own text is below it.
        f = 0.62 if a.centre else 0.38 if b.centre else 0.5
        mx, my = x1 + (x2 - x1) * f, y1 + (y2 - y1) * f
        middle = (round(mx + 8 * px, 1), round(my + 8 * py + 4, 1))
        rim = (round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1))
        edges.append(GraphEdge(*rim, *middle, anchor, text, mark))
    nodes = tuple(placed.values())
    desc = (
        f"{centre.name} ({centre.entry.type}) and {len(around)} linked objects you may read, "
        f"{len(links)} links; the table below lists each link in words."
    )
    return Graph(width, height, nodes, tuple(edges), desc)


def _tlp(label: Label | None) -> tuple[str, str] | None:
    """The label's TLP colour word and its colour, if it has one."""
    if label is None:
        return None
    colours = sorted(label.values(TLP))
    if not colours:
        return None
    colour = colours[-1]
    return colour, TLP_COLOURS.get(colour, "#ffffff")


def _details(stix: dict[str, Any]) -> list[tuple[str, str]]:
    """Properties worth a line of their own, as text (the full JSON is shown below)."""
    out = []
    for key in (
        "pattern_type", "valid_from", "valid_until", "indicator_types", "malware_types",
        "is_family", "report_types", "published", "aliases", "roles", "sectors",
        "identity_class", "first_seen", "last_seen", "count", "labels", "confidence",
        "created", "modified",
    ):  # fmt: skip
        value = stix.get(key)
        if value is None or value == []:
            continue
        if isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "yes" if value else "no"
        else:
            text = str(value)
        out.append((key.replace("_", " "), text))
    for phase in stix.get("kill_chain_phases") or []:
        if isinstance(phase, dict):
            out.append(
                ("kill chain phase", f"{phase.get('kill_chain_name')}: {phase.get('phase_name')}")
            )
    return out


@router.get("/intel/collections/{collection_id}/objects/{object_id}")
def stix_object_page(
    request: Request,
    collection_id: str,
    object_id: str,
    page: Page,
    version: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """One object: its content, Caveat label and TLP, versions and neighbourhood."""
    node, me = node_of(request), _me(page)
    info = node.taxii.collection(me, collection_id)
    found: ObjectPage = node.taxii.object_page(
        me, ctx_of(request), collection_id, object_id, version or None
    )
    labels = _Labels(request, page)
    shown = labels.shown(collection_id, found.shown)
    label = labels.label(found.shown.label_json)
    versions = [labels.shown(collection_id, e) for e in found.versions]
    contents = [labels.shown(collection_id, e) for e in found.contents]
    around = [labels.shown(collection_id, e) for e in found.nodes]
    by_id = {s.entry.object_id: s for s in (shown, *around)}
    rows = []
    for link in found.links:
        via = labels.shown(collection_id, link.via)
        rows.append((by_id[link.source], link.text, by_id[link.target], via))
    graph = layout(
        shown,
        around,
        [(s.entry.object_id, t.entry.object_id, text, via.portion) for s, text, t, via in rows],
    )
    stix = found.shown.stix
    refs = {}
    for key in ("source_ref", "target_ref", "sighting_of_ref"):
        ref = stix.get(key)
        if isinstance(ref, str) and ref in by_id:
            refs[key.replace("_ref", "").replace("_", " ")] = by_id[ref]
    return render(
        request,
        "intel_object.html",
        page,
        c=info,
        s=shown,
        stix=stix,
        label_originator=labels.originator_form(label),
        tlp=_tlp(label),
        details=_details(stix),
        refs=refs,
        versions=versions,
        contents=contents,
        rows=rows,
        graph=graph,
        json_text=json.dumps(stix, indent=2, sort_keys=True, ensure_ascii=False),
        stix_time=stix_time,
        current_version=stix_time(found.shown.version),
        latest=found.versions[0].version == found.shown.version,
        added=found.shown.date_added,
    )


# --- subscriptions to partners' collections ------------------------------------------

_SUB_FIELDS = ("url", "collection", "label", "auth", "username", "interval_seconds")
Short = Annotated[str, Form(max_length=500)]


def _subscriptions_page(
    request: Request,
    page: PageContext,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    error_in: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """Every subscription of the viewer's collections with how its polls go; the add
    form, poll and remove only where the permission table would let the viewer act (the
    service decides either way)."""
    node, me = node_of(request), _me(page)
    now = node.uow.clock()
    found = node.taxii_subscriptions.subscriptions(me)
    own = Target(organisation_id=me.person.organisation_id)
    may_add = allowed(me, Act.TAXII_SUBSCRIBE, own, now=now) and allowed(me, Act.TAXII_ADD, now=now)
    manages = {
        s.id
        for s in found
        if allowed(me, Act.TAXII_SUBSCRIBE, Target(organisation_id=s.organisation_id), now=now)
    }
    values = {k: (form or {}).get(k, "") for k in _SUB_FIELDS}
    values["auth"] = values["auth"] or "none"
    values["interval_seconds"] = values["interval_seconds"] or "900"
    return render(
        request,
        "intel_subscriptions.html",
        page,
        status=status,
        subscriptions=found,
        manages=manages,
        may_add=may_add,
        collections=[c for c in node.taxii.collections(me) if c.can_write] if may_add else [],
        form=values,
        error=error,
        error_in=error_in,
    )


def _sub_refused(
    request: Request,
    page: PageContext,
    exc: CaveatError,
    where: str,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    message, code = forms.refusal(exc, forms.FIXABLE | {ErrorKind.DENIED})
    return _subscriptions_page(request, page, form=form, error=message, error_in=where, status=code)


@router.get("/intel/subscriptions")
def subscriptions(request: Request, page: Page) -> HTMLResponse:
    """Subscriptions to partners' TAXII collections and their status."""
    return _subscriptions_page(request, page)


@router.post("/intel/subscriptions")
def subscribe(
    request: Request,
    page: Page,
    url: Short = "",
    collection: Annotated[str, Form(max_length=200)] = "",
    label: Annotated[str, Form(max_length=4000)] = "",
    auth: Annotated[str, Form(max_length=10)] = "none",
    username: Annotated[str, Form(max_length=300)] = "",
    secret: Annotated[str, Form(max_length=4000)] = "",
    interval_seconds: Annotated[str, Form(max_length=10)] = "900",
) -> Response:
    """Subscribe one of the viewer's collections; a refusal keeps what was typed (never
    the secret, which is asked for again)."""
    node, me = node_of(request), _me(page)
    typed = {
        "url": url,
        "collection": collection,
        "label": label,
        "auth": auth,
        "username": username,
        "interval_seconds": interval_seconds,
    }
    now = node.uow.clock()
    try:
        if not interval_seconds.strip().isdigit():
            raise InvalidInput(
                "the schedule must be a whole number of seconds", field="interval_seconds"
            )
        made = node.taxii_subscriptions.subscribe(
            me,
            ctx_of(request),
            url=url.strip(),
            collection=collection,
            label=parse_label_text(
                normalised_text(node.policy, label, now.date()), node.policy, now
            ),
            credentials=feed_credentials(auth, username, secret),
            interval_seconds=int(interval_seconds),
        )
    except CaveatError as exc:
        return _sub_refused(request, page, exc, "add", typed)
    return forms.done(
        "/intel/subscriptions", f"Subscribed to {made.url}; the first poll is due now."
    )


@router.post("/intel/subscriptions/{subscription_id}/poll")
def poll_subscription(request: Request, subscription_id: str, page: Page) -> Response:
    """Poll now, whatever the schedule or backoff."""
    try:
        done = node_of(request).taxii_subscriptions.poll_now(
            _me(page), ctx_of(request), subscription_id
        )
    except CaveatError as exc:
        return _sub_refused(request, page, exc, subscription_id)
    if done.error:
        return forms.done("/intel/subscriptions", f"The poll failed: {done.error}")
    return forms.done(
        "/intel/subscriptions",
        f"Polled: {done.ingested} ingested, {done.held} held already, {done.refused} refused.",
    )


@router.post("/intel/subscriptions/{subscription_id}/remove")
def remove_subscription(request: Request, subscription_id: str, page: Page) -> Response:
    """Stop polling and erase the credentials; what was ingested stays."""
    try:
        node_of(request).taxii_subscriptions.remove(_me(page), ctx_of(request), subscription_id)
    except CaveatError as exc:
        return _sub_refused(request, page, exc, subscription_id)
    return forms.done(
        "/intel/subscriptions", "Removed: no more polls, and its credentials are erased."
    )
