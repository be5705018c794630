"""Errors raised while reading, checking or converting security labels."""

from __future__ import annotations

from caveat.domain.errors import InvalidInput, PermissionDenied


class MarkingError(InvalidInput):
    """Raised when a marking string breaks the syntax or a combination rule.

    ``position`` is the 0-based character offset in ``text`` where the problem starts;
    ``rule`` names the label rule it breaks (see ``validation.py``), None for syntax.
    """

    code = "invalid_marking"

    def __init__(
        self,
        detail: str,
        *,
        text: str,
        position: int,
        hint: str | None = None,
        rule: str | None = None,
    ) -> None:
        data: dict[str, object] = {"text": text, "position": position}
        if rule is not None:
            data["rule"] = rule
        super().__init__(f"{detail} at position {position}", field="marking", hint=hint, data=data)
        self.text = text
        self.position = position
        self.rule = rule

    def diagnostics(self) -> str:
        """The message, the marking with a caret under the fault, and the hint."""
        caret = f"  {self.text}\n  {' ' * self.position}^"
        text = f"{self.detail}\n{caret}"
        return f"{text}\nhint: {self.hint}" if self.hint else text


class LabelRuleError(InvalidInput):
    """Raised when a label given as canonical JSON breaks a marking rule.

    The code and ``rule`` are those the banner parser's MarkingError gives for the same
    fault; ``path`` (a JSON pointer into the label, such as ``/categories/0/values/1``)
    takes the place of the character position.
    """

    code = MarkingError.code

    def __init__(self, detail: str, *, rule: str, path: str, hint: str | None = None) -> None:
        super().__init__(
            f"{detail} at {path}", field="label", hint=hint, data={"rule": rule, "path": path}
        )
        self.rule = rule
        self.path = path


class UnknownScheme(InvalidInput):
    """Raised when a label names a classification scheme Caveat does not know."""

    code = "unknown_scheme"


class InvalidLabel(InvalidInput):
    """Raised when a label's structure is wrong (an unknown level, an empty category)."""

    code = "invalid_label"


class SchemeDataError(InvalidInput):
    """Raised when shipped or supplied scheme data fails validation at load."""

    code = "bad_scheme_data"


class NoEquivalentLevel(PermissionDenied):
    """Raised when a level has no equivalent in the receiving scheme and the rule is deny."""

    code = "no_equivalent_level"
