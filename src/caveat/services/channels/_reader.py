"""A reader's policy facts for one channel, and a message opened once for every reader.

Each message is decided for each reader by the policy engine itself (``decide()``,
READ) as a resource of the channel's project, labelled with the message's label and
originated by the publisher's organisation. A programme's channel is read through the
reader's own projects in that programme: a message reaches them when the policy permits
it through any of them. Facts are derived once per refresh (a few seconds), so a
revoked clearance, an ended membership or a suspended account stops delivery soon.

Facts are immutable and carry their moment, so a decision made with them is the same
each time it is asked: one facts object (shared by a reader's connections, ``_facts.py``)
decides each message once and remembers the answer. The table it remembers in is that
of its fingerprint (``_subjects.SharedDecisions``): every reader whose decision-relevant
facts are equal, whoever they are, shares it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from caveat.domain.channels import Envelope
from caveat.domain.labels import Label, Originator, SchemeRegistry
from caveat.domain.policy import Action, Context, Resource, Subject, decide, make_resource
from caveat.services.channels._views import Delivery
from caveat.services.kernel.principal import Principal

KIND = "channel_message"


def resource_prefix(channel_id: str) -> str:
    """How the policy resource ids of a channel's messages begin."""
    return f"channel:{channel_id}:"


_REMEMBERED = 4096  # decisions one facts object keeps before it starts afresh


@dataclass(slots=True)
class OpenMessage:
    """A message whose authentication passed, with its label read once. ``seq`` is its
    place in the channel (never shown); ``event_id`` what readers see (``EventIds``)."""

    seq: int
    event_id: str
    envelope: Envelope
    label: Label
    banner: str
    schemes: SchemeRegistry
    portion: str = ""
    _resources: dict[str, Resource] = field(default_factory=dict)
    _delivery: Delivery | None = None

    def delivery(self) -> Delivery:
        """The message as delivered (the same for every reader who may read it)."""
        if self._delivery is None:
            e = self.envelope
            self._delivery = Delivery(
                id=self.event_id,
                channel_id=e.channel_id,
                message_id=e.message_id,
                banner=self.banner,
                label_json=e.label_json,
                body=e.body,
                publisher=e.publisher_name,
                published_at=e.published_at,
                portion=self.portion,
            )
        return self._delivery

    def resource(self, project_id: str) -> Resource:
        """The message as a policy resource of ``project_id`` (derived once per project)."""
        found = self._resources.get(project_id)
        if found is None:
            found = self._resources[project_id] = make_resource(
                id=f"{resource_prefix(self.envelope.channel_id)}{self.seq}",
                project_id=project_id,
                kind=KIND,
                label=self.label,
                schemes=self.schemes,
                originator_org_id=self.envelope.publisher_org_id,
            )
        return found


@dataclass(frozen=True, slots=True)
class ReaderFacts:
    """A reader at one moment: who, their subject and context, and the projects through
    which they read the channel (their current ones in its scope)."""

    principal: Principal
    subject: Subject
    context: Context
    projects: tuple[str, ...]
    at: datetime
    originator: Originator  # the reader's organisation, as messages they publish name it
    # The decisions of every reader with this fingerprint (a table of its own if none).
    _decided: dict[tuple[int, str], bool] = field(default_factory=dict, compare=False, repr=False)

    def may_read(self, message: OpenMessage) -> bool:
        """Whether the policy lets this reader READ the message."""
        # Keyed by the event id and the sealed message id: the resource decided is a
        # function of both (its id and the authenticated envelope).
        key = (message.seq, message.envelope.message_id)
        found = self._decided.get(key)
        if found is None:
            if len(self._decided) >= _REMEMBERED:
                self._decided.clear()
            found = self._decided[key] = any(
                decide(self.subject, Action.READ, message.resource(p), self.context).permitted
                for p in self.projects
            )
        return found
