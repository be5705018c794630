"""What a subject may ask to do with a labelled resource, and the explicit grants on one.

Leaf values with no imports: the policy decides on them (re-exported by
:mod:`caveat.domain.policy`), and the command line names them as option types without
loading the policy engine (issue 16, ADR 0016).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What the subject wants to do with a labelled resource."""

    DISCOVER = "discover"  # see that it exists and its metadata (title, label)
    READ = "read"  # obtain its content
    MODIFY = "modify"  # add a version or change its metadata
    RELEASE = "release"  # pass it on beyond its project (originator's decision)
    RECALL = "recall"  # withdraw a release (originator's decision)


class GrantKind(StrEnum):
    """Explicit per-resource grants."""

    ACCESS = "access"  # need-to-know without project membership (discover, read)
    ORIGINATOR = "originator"  # the originator's permission for ORCON/IMCON/PROPIN
