"""Marking diagnostics as the CLI prints them: message, caret under the fault, hint.

Written against the survivors of the 2026-12-04 mutation run of ``labels.errors``,
including errors rebuilt by the Python client from a node's problem+json.
"""

from __future__ import annotations

from caveat.domain.errors import CaveatError
from caveat.domain.labels.errors import (
    LabelRuleError,
    MarkingError,
    marking_caret,
    marking_diagnostics,
)


def test_a_marking_error_shows_message_caret_and_hint() -> None:
    error = MarkingError("unknown control", text="SECRET//XYZ", position=8, hint="one of NF")
    assert error.diagnostics() == (
        "unknown control at position 8\n  SECRET//XYZ\n          ^\nhint: one of NF"
    )
    assert marking_diagnostics(error) == error.diagnostics()


def test_without_a_hint_there_is_no_hint_line() -> None:
    error = MarkingError("unknown control", text="S//X", position=3)
    assert error.diagnostics() == "unknown control at position 3\n  S//X\n     ^"
    assert marking_diagnostics(error) == error.diagnostics()


def _rebuilt(code: str, data: dict[str, object], hint: str | None = "use NF") -> CaveatError:
    """An error as the client rebuilds it from a node's problem+json."""
    return CaveatError("bad marking at position 2", code=code, hint=hint, data=data)


def test_a_rebuilt_marking_error_keeps_its_caret_and_diagnostics() -> None:
    error = _rebuilt("invalid_marking", {"text": "S//X", "position": 2})
    assert marking_caret(error) == "  S//X\n    ^"
    assert marking_diagnostics(error) == "bad marking at position 2\n  S//X\n    ^\nhint: use NF"


def test_other_errors_have_no_caret() -> None:
    assert marking_caret(_rebuilt("invalid_label", {"text": "S//X", "position": 2})) is None
    assert marking_caret(_rebuilt("invalid_label", {"position": 2})) is None
    assert marking_caret(_rebuilt("invalid_marking", {"text": "S//X"})) is None
    assert marking_diagnostics(_rebuilt("invalid_label", {"text": "S//X", "position": 2})) is None
    assert marking_diagnostics(CaveatError("boom")) is None


def test_a_label_rule_error_points_at_its_json_path() -> None:
    error = LabelRuleError("NOFORN with REL TO", rule="noforn_rel", path="/categories/1", hint="h")
    assert error.detail == "NOFORN with REL TO at /categories/1"
    assert error.field == "label"
    assert error.diagnostics() == "NOFORN with REL TO at /categories/1 (label)\nhint: h"
    assert error.data == {"rule": "noforn_rel", "path": "/categories/1"}
    assert (error.code, error.rule, error.path) == (
        "invalid_marking",
        "noforn_rel",
        "/categories/1",
    )
