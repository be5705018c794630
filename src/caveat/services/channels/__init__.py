"""Live channels (issue 21, ADR 0025): labelled real-time messages of a project or a
programme, each decided per reader by the policy, over an in-process broker or NATS
JetStream.

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.channels._ledger import ChannelLedger
from caveat.services.channels._service import ChannelService, Item, Reauthenticate
from caveat.services.channels._views import Channel, Delivery, Notice, Published, Window

__all__ = [
    "Channel",
    "ChannelLedger",
    "ChannelService",
    "Delivery",
    "Item",
    "Notice",
    "Published",
    "Reauthenticate",
    "Window",
]
