"""Tables of projects, memberships, grants and the labelled-resource catalogue the policy lists."""

from __future__ import annotations
