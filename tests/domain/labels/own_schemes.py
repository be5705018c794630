"""A node's own scheme registry with two invented national schemes, for tests that
check a label is read under the registry it is given, not the shipped one."""

from __future__ import annotations

from typing import Any

from caveat.domain.labels import SchemeRegistry, scheme_from_mapping


def scheme(code: str, nation: str) -> dict[str, Any]:
    def level(i: int, name: str, common: int) -> dict[str, Any]:
        return {
            "ordinal": i, "id": name, "name": name, "abbreviation": name[0],
            "banner": f"{code} {name}", "portion": f"{code} {name[0]}", "common": common,
        }  # fmt: skip

    return {
        "schema": "caveat.scheme/1", "scheme": code, "name": code, "nation": nation,
        "capco_foreign": True, "source": "s", "source_date": "2020-01-01", "as_of": "2020-01-01",
        "levels": [level(0, "OPEN", 0), level(1, "GUARDED", 2), level(2, "HIDDEN", 4)],
        "no_equivalent": [
            {"common": 1, "rule": "treat_as", "level": "GUARDED", "source": "s"},
            {"common": 3, "rule": "treat_as", "level": "HIDDEN", "source": "s"},
        ],
    }  # fmt: skip


# A node's own registry, holding schemes the shipped registry does not know.
OWN = SchemeRegistry(
    [scheme_from_mapping(scheme("AAA", "ISL")), scheme_from_mapping(scheme("BBB", "LUX"))]
)
