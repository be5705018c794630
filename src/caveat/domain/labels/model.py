"""The security label, shaped like a STANAG 4774 confidentiality label.

A label names the scheme (policy) that issued it, a classification ordinal within
that scheme, and categories whose type fixes their access semantics:
PERMISSIVE (the holder needs at least one value: releasable-to lists),
RESTRICTIVE (the holder needs every value: caveats and compartments) and
INFORMATIVE (no access effect: TLP). The originator's label is never overwritten;
equivalents under other schemes travel as ``alternatives``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from caveat.domain.labels.errors import InvalidLabel
from caveat.domain.nations import require_nation

# Well-known category tags. The banner parser and the algebra give these their
# CAPCO meaning; any other tag is a plain category of its declared type.
REL_TO = "REL TO"  # PERMISSIVE: nations and groups the information may go to
DISSEM = "DISSEM"  # RESTRICTIVE: dissemination controls (NOFORN, ORCON, ...)
SCI = "SCI"  # RESTRICTIVE: SCI control systems and compartments
SAP = "SAP"  # RESTRICTIVE: special access programmes
TLP = "TLP"  # INFORMATIVE: Traffic Light Protocol 2.0

FOUO = "FOUO"
NOFORN = "NOFORN"
RELIDO = "RELIDO"

SCHEME_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")  # a label's policy, a scheme's code
_TAG = re.compile(r"^[A-Z][A-Z0-9 _:+-]{0,31}$")
_VALUE = re.compile(r"^[A-Z0-9][A-Z0-9 _:+./-]{0,63}$")


class CategoryType(StrEnum):
    """STANAG 4774 category semantics."""

    PERMISSIVE = "PERMISSIVE"
    RESTRICTIVE = "RESTRICTIVE"
    INFORMATIVE = "INFORMATIVE"


@dataclass(frozen=True, slots=True)
class Category:
    """One tagged set of values with STANAG 4774 semantics; values are never empty."""

    tag: str
    type: CategoryType
    values: frozenset[str]

    def __post_init__(self) -> None:
        if not _TAG.match(self.tag):
            raise InvalidLabel(f"category tag {self.tag!r} is not valid", field="categories")
        if not self.values:
            raise InvalidLabel(f"category {self.tag} has no values", field="categories")
        for value in self.values:
            if not _VALUE.match(value):
                raise InvalidLabel(
                    f"category {self.tag} value {value!r} is not valid", field="categories"
                )


@dataclass(frozen=True, slots=True)
class Originator:
    """The organisation that created the label and its nation (ISO alpha-3)."""

    organisation: str
    nation: str

    def __post_init__(self) -> None:
        if not self.organisation or len(self.organisation) > 128:
            raise InvalidLabel("originator organisation must be 1-128 characters")
        require_nation(self.nation, field="originator.nation")


@dataclass(frozen=True, slots=True)
class Label:
    """A confidentiality label: scheme, level ordinal, categories and provenance.

    ``alternatives`` hold the same label under other schemes; they carry no
    alternatives of their own.
    """

    policy: str
    classification: int
    categories: tuple[Category, ...] = ()
    privacy_mark: str | None = None
    originator: Originator | None = None
    created_at: datetime | None = None
    alternatives: tuple[Label, ...] = field(default=())

    def __post_init__(self) -> None:
        if not SCHEME_CODE.match(self.policy):
            raise InvalidLabel(f"policy {self.policy!r} is not a scheme identifier")
        if isinstance(self.classification, bool) or self.classification < 0:
            raise InvalidLabel("classification must be a non-negative ordinal")
        # A canonical category order makes equal labels compare and hash equal.
        ordered = tuple(sorted(self.categories, key=lambda c: c.tag))
        tags = [c.tag for c in ordered]
        if len(set(tags)) != len(tags):
            raise InvalidLabel("a category tag appears twice", field="categories")
        object.__setattr__(self, "categories", ordered)
        if self.privacy_mark is not None and not (0 < len(self.privacy_mark) <= 128):
            raise InvalidLabel("privacy mark must be 1-128 characters", field="privacy_mark")
        if self.created_at is not None and self.created_at.utcoffset() is None:
            raise InvalidLabel("created_at must carry a time zone", field="created_at")
        object.__setattr__(
            self, "alternatives", tuple(sorted(self.alternatives, key=lambda a: a.policy))
        )
        policies = [self.policy]
        for alternative in self.alternatives:
            if alternative.alternatives:
                raise InvalidLabel("an alternative label cannot have alternatives")
            policies.append(alternative.policy)
        if len(set(policies)) != len(policies):
            raise InvalidLabel("each alternative must be under a different scheme")

    def category(self, tag: str) -> Category | None:
        """The category with ``tag``, or None."""
        for category in self.categories:
            if category.tag == tag:
                return category
        return None

    def values(self, tag: str) -> frozenset[str]:
        """The values of category ``tag`` (empty when absent)."""
        category = self.category(tag)
        return category.values if category is not None else frozenset()

    @property
    def releasable_to(self) -> frozenset[str] | None:
        """The REL TO codes (nations and groups), or None when the label has no REL TO."""
        category = self.category(REL_TO)
        return category.values if category is not None else None

    @property
    def restrictive(self) -> frozenset[tuple[str, str]]:
        """Every (tag, value) of the RESTRICTIVE categories: the holder needs them all."""
        return frozenset(
            (c.tag, v)
            for c in self.categories
            if c.type is CategoryType.RESTRICTIVE
            for v in c.values
        )

    def with_categories(self, categories: Iterable[Category]) -> Label:
        """A copy with ``categories`` replacing the present ones."""
        return replace(self, categories=tuple(categories))

    def without_alternatives(self) -> Label:
        """A copy with no alternative labels."""
        return replace(self, alternatives=())
