"""Names and links instead of ids, where a person reads, for what the viewer may see.

Shared by the web pages and the API (so the CLI, which talks to the API, reads the same):
a resource (or artifact) is named only when the policy lets the viewer discover it
(``policy.get`` refuses otherwise); a project only when the viewer is a member of it or
discovers something in it on this page (or answer). Anything else stays an id
(shortened): a name the viewer could not otherwise learn would tell them about data they
may not see. Policy explanations are worded for people: project ids become names on the
same rule, and MFA ages in seconds become hours and minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from caveat.domain.errors import CaveatError
from caveat.services.identity import PeopleService, RegistryService
from caveat.services.kernel.principal import Principal
from caveat.services.ledger import AuditEntry
from caveat.services.policy import PolicyService
from caveat.services.projects import ProjectService


class Services(Protocol):
    """What names are looked up in (a running node has them all)."""

    @property
    def projects(self) -> ProjectService: ...
    @property
    def policy(self) -> PolicyService: ...
    @property
    def people(self) -> PeopleService: ...
    @property
    def registry(self) -> RegistryService: ...


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_PROJECT = re.compile(rf"\b(project|membership of project) ({_UUID})\b")
_SECONDS = re.compile(r"\b(within|after|last MFA) (\d+) s\b")


def duration(seconds: int) -> str:
    """Seconds as a person says them: "8 hours", "1 hour 30 minutes", "45 seconds"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) or "0 minutes"


def _seconds_in_words(match: re.Match[str]) -> str:
    word, seconds = match.group(1), int(match.group(2))
    if word == "within":
        return f"within the last {duration(seconds)}"
    if word == "last MFA":
        return f"last MFA {duration(seconds)}"
    return f"{word} {duration(seconds)}"


@dataclass(frozen=True, slots=True)
class Named:
    """What a person reads for an id, and where it leads (None: no page for it)."""

    text: str
    href: str | None = None


@dataclass
class Names:
    """Resolves ids for one viewer, remembering what it looked up for the page."""

    node: Services
    principal: Principal
    _resources: dict[str, Named | None] = field(default_factory=dict)
    _members_of: set[str] | None = None
    _seen_projects: set[str] = field(default_factory=set)
    _all: dict[str, str] = field(default_factory=dict)
    _organisations: dict[str, str] | None = None
    _people: dict[str, str | None] = field(default_factory=dict)
    _projects_of: dict[str, str] = field(default_factory=dict)  # discovered resource -> project

    def _member_projects(self) -> set[str]:
        if self._members_of is None:
            self._members_of = {
                p.id for p in self.node.projects.projects_of(self.principal.person_id)
            }
            self._all = {p.id: p.name for p in self.node.projects.list_projects()}
        return self._members_of

    def resource(self, resource_id: str, *, artifact: bool = False) -> Named | None:
        """The resource's title and page when the viewer may discover it, else None (its
        project may then be named on this page)."""
        if resource_id not in self._resources:
            try:
                view = self.node.policy.get(self.principal, resource_id)
            except CaveatError:
                self._resources[resource_id] = None
            else:
                path = "artifacts" if artifact else "resources"  # /resources/ redirects
                self._resources[resource_id] = Named(view.title, f"/{path}/{view.id}")
                self._seen_projects.add(view.project_id)
                self._projects_of[resource_id] = view.project_id
        return self._resources[resource_id]

    def project(self, project_id: str) -> str | None:
        """The project's name when the viewer is a member or discovers something in it
        on this page, else None."""
        if project_id in self._member_projects() or project_id in self._seen_projects:
            return self._all.get(project_id)
        return None

    def prefetch(self, resource_ids: Iterable[str], *, artifact: bool = False) -> None:
        """Look up many resources at once (one read, as ``resource`` decides one by one),
        so that naming a long listing does not cost a read per row."""
        wanted = {r for r in resource_ids if r and r not in self._resources}
        if not wanted:
            return
        found = self.node.policy.discoverable_titles(self.principal, wanted)
        path = "artifacts" if artifact else "resources"
        for resource_id in wanted:
            if resource_id not in found:
                self._resources[resource_id] = None
                continue
            title, project_id = found[resource_id]
            self._resources[resource_id] = Named(title, f"/{path}/{resource_id}")
            self._seen_projects.add(project_id)
            self._projects_of[resource_id] = project_id

    def project_of(self, resource_id: str) -> str | None:
        """The id of the project a resource belongs to, when the viewer may discover the
        resource (else None: its project is not the viewer's to learn from it)."""
        self.resource(resource_id)
        return self._projects_of.get(resource_id)

    def person(self, person_id: str) -> str | None:
        """A person's display name (people's names are not labelled information); None
        for an id that names nobody."""
        if person_id not in self._people:
            self.prefetch_people([person_id])
        return self._people[person_id]

    def prefetch_people(self, person_ids: Iterable[str]) -> None:
        """Look up many people's display names at once (one read)."""
        wanted = sorted({p for p in person_ids if p and p not in self._people})
        if wanted:
            found = self.node.people.display_names(wanted)
            self._people.update({p: found.get(p) for p in wanted})

    def organisation(self, organisation_id: str) -> str | None:
        """The organisation's name (organisations are not labelled information)."""
        if self._organisations is None:
            self._organisations = {o.id: o.name for o in self.node.registry.list_organisations()}
        return self._organisations.get(organisation_id)

    def target(self, target_type: str, target_id: str | None) -> Named | None:
        """A ledger target by name, on the rules above (None: show the id)."""
        if not target_id:
            return None
        if target_type in ("artifact", "resource"):
            return self.resource(target_id, artifact=target_type == "artifact")
        if target_type == "person":
            name = self.person(target_id)
            return None if name is None else Named(name)
        if target_type == "project":
            name = self.project(target_id)
            return None if name is None else Named(name, f"/artifacts?project={target_id}")
        return None

    def events(self, entries: Sequence[AuditEntry]) -> list[tuple[str | None, str | None]]:
        """(the acting person's display name, the target's name) for each audit entry,
        on the rules above (None: show the id); the resources looked up at once."""
        for kind in ("artifact", "resource"):
            self.prefetch(
                (e.target_id for e in entries if e.target_type == kind and e.target_id),
                artifact=kind == "artifact",
            )
        self.prefetch_people(
            [e.actor_id for e in entries if e.actor_kind == "person" and e.actor_id]
            + [e.target_id for e in entries if e.target_type == "person" and e.target_id]
        )
        named = []
        for e in entries:
            actor = self.person(e.actor_id) if e.actor_kind == "person" and e.actor_id else None
            target = self.target(e.target_type, e.target_id)
            named.append((actor, None if target is None else target.text))
        return named

    def explain(self, text: str, about: str | None = None) -> str:
        """A policy explanation worded for a person: project names for the projects the
        viewer may name (an id otherwise, shortened), durations in hours and minutes.
        ``about``: the resource explained (its project may be named if the viewer may
        discover it)."""
        if about:
            self.resource(about)

        def project(match: re.Match[str]) -> str:
            name = self.project(match.group(2))
            return (
                f"{match.group(1)} “{name}”" if name else f"{match.group(1)} {match.group(2)[:8]}…"
            )

        return _SECONDS.sub(_seconds_in_words, _PROJECT.sub(project, text))
