"""Reading a package puts each of its parts in RFC 8785 form once: the manifest without
its assertions, and each assertion without its binding, whose hash both its own binding
and the manifest binding check (issue 18: canonical JSON was a visible share of
receiving a package)."""

from __future__ import annotations

from typing import Any

import pytest

from caveat.adapters.tdf import (
    _assertions,
    _crypto,
    _jws,
    _package,
    caveat_assertions,
    inspect_package,
)
from caveat.adapters.tdf import provenance_assertion as provenance
from caveat.domain.canonical_json import canonical_json
from tests.federation.tdf.support import (
    KAS_URL,
    SMALL,
    Parties,
    export,
    label,
    manifest_of,
    package,
)

ORIGIN = "6f3b6a82-2f30-4c8a-aef3-57c65b8e7380"


def _recorded(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    seen: list[bytes] = []

    def recording(value: Any) -> bytes:
        encoded = canonical_json(value)
        seen.append(encoded)
        return encoded

    for module in (_assertions, _crypto, _jws, _package):
        monkeypatch.setattr(module, "canonical_json", recording)
    return seen


@pytest.mark.parametrize("signed", [True, False])
def test_no_part_of_a_package_is_canonicalised_twice(
    parties: Parties, monkeypatch: pytest.MonkeyPatch, signed: bool
) -> None:
    assertions = [
        *caveat_assertions(label(), export()),
        provenance(node_id=ORIGIN, resource_id=ORIGIN, version=1),
    ]
    data = package(b"\x03" * (2 * SMALL + 1), parties, signed=signed, assertions=assertions)
    manifest = manifest_of(data)
    seen = _recorded(monkeypatch)
    sealed = inspect_package(
        data,
        recipient_key=parties.recipient,
        kas_url=KAS_URL,
        trusted_assertion_keys=[parties.signer.public_key()] if signed else [],
    )
    assert len(sealed.assertions) == 4
    assert len(seen) == len(set(seen)), "a value was put in canonical form twice"
    for raw in manifest["assertions"]:
        body = {name: value for name, value in raw.items() if name != "binding"}
        assert seen.count(canonical_json(body)) == 1, raw["id"]
    rest = {name: value for name, value in manifest.items() if name != "assertions"}
    assert seen.count(canonical_json(rest)) == 1
    assert canonical_json(manifest) not in seen  # the parts, not the whole again
