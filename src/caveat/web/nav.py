"""The navigation: every link the viewer may open, and none they may not.

Each link names the permission-table act its page checks (the page's gate or the service
it calls first); a link shows when ``allowed`` says that act would pass for the viewer,
so the navigation and the pages cannot disagree (issue 16: researchers were offered an
Agreements link that answered 403, the export control officer had no Screening link).
``None``: a page every signed-in person opens, whose content the policy filters item
by item. Links used less often sit under "More" so the bar fits one line at 1366 px.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from caveat.domain.permissions import Act, Target
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Principal


@dataclass(frozen=True, slots=True)
class NavLink:
    """One link: where it goes, its words, what opening it takes, and the paths under it."""

    href: str
    text: str
    act: Act | None
    prefixes: tuple[str, ...] = ()  # paths that mark the link current (none: its own only)
    more: bool = False  # under the "More" disclosure
    own_organisation: bool = False  # the act's target is the viewer's own organisation

    def current(self, path: str) -> bool:
        """Whether ``path`` is this link's page or one under it."""
        if not self.prefixes:
            return path == self.href
        return path.startswith(self.prefixes)


# The main navigation, in order ("More" gathers those marked ``more``).
MAIN: tuple[NavLink, ...] = (
    NavLink("/", "Dashboard", None),
    NavLink("/artifacts", "Artifacts", None, ("/artifacts",)),
    NavLink("/resources", "Catalogue", None, ("/resources",)),
    NavLink("/programmes", "Programmes", None, ("/programmes", "/visits")),
    NavLink("/releases", "Releases", Act.RELEASE_REQUEST, ("/releases", "/export-records")),
    NavLink(
        "/agreements",
        "Agreements",
        Act.AGREEMENT_READ,
        # Control lists sits under "More" but is one of this section's tabs.
        ("/agreements", "/authorizations", "/embargoes", "/control-lists"),
    ),
    NavLink("/screening", "Screening", Act.SCREENING_READ, ("/screening",)),
    NavLink("/policy/explain", "Access", Act.POLICY_EXPLAIN, ("/policy",), own_organisation=True),
    NavLink("/ledger", "Ledger", Act.AUDIT_READ, ("/ledger",)),
    NavLink(
        "/admin/people",
        "People",
        Act.PEOPLE_READ,
        # Organisations, groups and keys sit under "More" but are this section's tabs.
        (
            "/admin/people",
            "/admin/clearances",
            "/admin/organisations",
            "/admin/groups",
            "/admin/keys",
        ),
    ),
    NavLink("/intel", "Threat intel", Act.TAXII_READ, ("/intel",), more=True),
    NavLink("/proficiency", "Proficiency", Act.PROFICIENCY_READ, ("/proficiency",), more=True),
    NavLink("/discussions", "Discussions", Act.DISCUSSION_READ, ("/discussions",), more=True),
    NavLink("/work", "Work", Act.WORK_READ, ("/work",), more=True),
    NavLink("/plans", "Plans", Act.PLAN_READ, ("/plans",), more=True),
    NavLink("/channels", "Channels", Act.CHANNEL_READ, ("/channels",), more=True),
    NavLink("/control-lists", "Control lists", None, ("/control-lists",), more=True),
    NavLink("/federation", "Partners", Act.PEER_READ, ("/federation",), more=True),
    NavLink(
        "/admin/organisations",
        "Organisations",
        Act.PEOPLE_READ,
        ("/admin/organisations",),
        more=True,
    ),
    NavLink("/admin/groups", "Groups", Act.PEOPLE_READ, ("/admin/groups",), more=True),
    NavLink("/admin/keys", "Keys", Act.KEK_ROTATE, ("/admin/keys",), more=True),
)
# Closes the bar, after "More": every signed-in person's own account.
ACCOUNT = NavLink("/account", "Account", None, ("/account",))
# Before it: the bell, every signed-in person's own notifications with the unread count.
BELL = NavLink("/notifications", "Notifications", Act.NOTIFICATION_READ, ("/notifications",))

# Links of the sections' own bars (sub-navigation), decided the same way.
SECTIONS: tuple[NavLink, ...] = (
    NavLink("/authorizations", "Authorizations", Act.AUTHORIZATION_READ),
    NavLink("/embargoes", "Embargoes", Act.EMBARGO_READ),
    NavLink("/admin/clearances", "Clearances", Act.PEOPLE_READ),
    NavLink("/export-records", "Export records", Act.RELEASE_OVERSEE),
)


def permits(
    principal: Principal, act: Act, *, own_organisation: bool = False, now: datetime | None = None
) -> bool:
    """Whether the permission table lets ``principal`` do ``act`` (on their own
    organisation, for acts an officer does for it): the pages' gates and the
    navigation both ask this."""
    target = (
        Target(organisation_id=principal.person.organisation_id) if own_organisation else Target()
    )
    return allowed(principal, act, target, now=now)


def may_open(principal: Principal, link: NavLink, now: datetime | None = None) -> bool:
    """Whether ``principal`` may open ``link``'s page."""
    if link.act is None:
        return True
    return permits(principal, link.act, own_organisation=link.own_organisation, now=now)


@dataclass(frozen=True, slots=True)
class Navigation:
    """What the viewer's bar shows: the main links, those under "More", and every
    path (main and sections) the viewer may open."""

    main: tuple[NavLink, ...] = ()
    more: tuple[NavLink, ...] = ()
    opens: frozenset[str] = frozenset()
    account: NavLink = ACCOUNT
    bell: NavLink | None = None

    def more_current(self, path: str) -> bool:
        """Whether the page shown is one under "More" and of no section the bar shows
        (its summary is marked; Groups is marked as People's, whose tabs it shows)."""
        if any(link.current(path) for link in self.main):
            return False
        return any(link.current(path) for link in self.more)


NOBODY = Navigation()


def navigation_for(principal: Principal | None, now: datetime | None = None) -> Navigation:
    """The navigation of ``principal`` (nobody signed in: none)."""
    if principal is None:
        return NOBODY
    shown = tuple(link for link in MAIN if may_open(principal, link, now))
    sections = (link.href for link in SECTIONS if may_open(principal, link, now))
    bell = [BELL.href] if may_open(principal, BELL, now) else []
    return Navigation(
        main=tuple(link for link in shown if not link.more),
        more=tuple(link for link in shown if link.more),
        opens=frozenset({*(link.href for link in shown), ACCOUNT.href, *sections, *bell}),
        bell=BELL if bell else None,
    )
