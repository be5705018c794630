"""How this node marks what it shows and what it hands out: in whose scheme, up to what.

A signed-in reader reads markings in the scheme of their organisation's nation (the one
their organisation's security rules apply; the artifact page's "your national form"
uses the same one) and may see up to their clearance. Pages nobody has signed in to
(sign-in, errors) are marked in the node's own scheme: ``CAVEAT_NODE_NATION``, else
the nation of the node operators' organisation, else NATO's. The roll-up itself is the
label package's (``caveat.domain.labels.aggregate_marking``); both the web pages and
the API's downloads come here so a page and its download never disagree.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from caveat.bootstrap.container import Node
from caveat.domain.errors import IntegrityError, InvalidInput, NotFound
from caveat.domain.identity import Role
from caveat.domain.labels import (
    FALLBACK_SCHEME,
    TOP_COMMON,
    Label,
    Marking,
    aggregate_marking,
    label_from_canonical_json,
)
from caveat.services.compliance import ExportReport
from caveat.services.kernel.principal import Principal

CSV_MARKING = "MARKING: "  # the first and last line of every CSV download

_NODE_SCHEMES: dict[str, str] = {}  # node id -> scheme code, resolved once per process


@dataclass(frozen=True, slots=True)
class Reader:
    """Whose words a marking is written in and the highest step they may be shown."""

    scheme: str
    ceiling: int


def node_scheme(node: Node) -> str:
    """The scheme of the node's own nation (see the module docstring)."""
    known = _NODE_SCHEMES.get(node.identity.id)
    if known is not None:
        return known
    by_nation = node.policy.environment().scheme_by_nation
    nation = node.settings.node_nation
    if nation is None:
        operators = {
            p.organisation_nation
            for p in node.people.list_people()
            if Role.NODE_OPERATOR in p.roles
        }
        nation = operators.pop() if len(operators) == 1 else None
    scheme = by_nation.get(nation or "", FALLBACK_SCHEME)
    _NODE_SCHEMES[node.identity.id] = scheme
    return scheme


def reader_of(node: Node, principal: Principal | None) -> Reader:
    """How ``principal`` reads markings; nobody signed in: the node's scheme, and a
    ceiling of top secret (a page for nobody shows no labelled content)."""
    if principal is None:
        return Reader(node_scheme(node), TOP_COMMON)
    scheme = node.policy.viewer_scheme(principal) or FALLBACK_SCHEME
    clearance = principal.clearance
    today = node.uow.clock().date()
    ceiling = int(clearance.level) if clearance and clearance.valid_on(today) else 0
    return Reader(scheme, ceiling)


def marking_for(node: Node, principal: Principal | None, labels: Iterable[Label | None]) -> Marking:
    """The marking of content carrying ``labels`` as ``principal`` reads it (``None``:
    shown, label unreadable); incomplete rather than under-stated."""
    reader = reader_of(node, principal)
    return aggregate_marking(
        labels,
        scheme=reader.scheme,
        groups=node.policy.environment().groups,
        on=node.uow.clock().date(),
        schemes=node.policy.schemes,
        ceiling=reader.ceiling,
    )


def export_marking(
    node: Node, principal: Principal | None, labels: Iterable[Label | None]
) -> Marking:
    """As ``marking_for``, for a file that leaves the node: an incomplete marking is
    refused (IntegrityError ``marking_incomplete``), never written into the file."""
    marking = marking_for(node, principal, labels)
    if not marking.complete:
        raise IntegrityError(
            "the content of this download could not be rolled up into one marking",
            code="marking_incomplete",
            hint="a label in it cannot be read or written in your scheme; tell the node operator",
        )
    return marking


def event_labels(data: Mapping[str, Any]) -> list[Label | None]:
    """The label an event's data names (``label``: canonical JSON), as shown with it;
    ``None`` for one that cannot be read, so the marking fails closed."""
    raw = data.get("label")
    if not isinstance(raw, str) or not raw.strip():
        return []
    try:
        return [label_from_canonical_json(raw.encode())]
    except (InvalidInput, ValueError):
        return [None]


def resource_labels(
    node: Node, principal: Principal, resource_ids: Iterable[str]
) -> list[Label | None]:
    """The labels of the resources named that ``principal`` may discover: what a report
    about them shows this reader (one they may not discover is not shown, not counted)."""
    found: list[Label | None] = []
    for resource_id in dict.fromkeys(resource_ids):
        try:
            found.append(node.policy.get(principal, resource_id).label)
        except NotFound:
            continue
    return found


def events_csv_labels(text: str) -> list[Label | None]:
    """The labels in the ``data`` column of the audit CSV; withheld data carries none."""
    found: list[Label | None] = []
    rows = csv.reader(io.StringIO(text, newline=""))  # the CSV's own \r\n line ends
    header = next(rows, None) or []
    column = header.index("data") if "data" in header else -1
    for row in rows:
        cell = row[column] if len(row) > column else ""
        if cell.startswith("{"):
            try:
                data = json.loads(cell)
            except ValueError:
                found.append(None)
                continue
            if isinstance(data, dict):
                found.extend(event_labels(data))
    return found


def mark_csv(text: str, marking: Marking) -> str:
    """``text`` (CSV) with the marking as its first and last line: one cell,
    ``MARKING: <banner>``; readers skip the first line before the header
    (docs/user-guide.md, "Markings on downloads")."""
    buffer = io.StringIO()
    line = csv.writer(buffer, lineterminator="\n")
    line.writerow([CSV_MARKING + marking.line])
    head = buffer.getvalue()
    return head + text + ("" if text.endswith("\n") or not text else "\n") + head


def report_marking(node: Node, principal: Principal, report: ExportReport) -> Marking:
    """The export records' marking: the roll-up of the resources they concern that the
    reader may discover (as the page's banner; the rest are not shown, so not counted)."""
    ids = [line.resource_id for line in report.lines]
    return export_marking(node, principal, resource_labels(node, principal, ids))
