"""Errors raised while reading, checking or converting security labels."""

from __future__ import annotations

from caveat.domain.errors import CaveatError, InvalidInput, PermissionDenied


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

    def caret(self) -> str:
        """The marking as read, with a caret under the character where the fault starts."""
        return caret_view(self.text, self.position)

    def diagnostics(self) -> str:
        """The message, the marking with a caret under the fault, and the hint."""
        return _diagnostics(self.detail, self.caret(), self.hint)


def caret_view(text: str, position: int) -> str:
    """Two lines: ``text`` indented, and a caret under its character at ``position``.

    ``text`` is the marking as the parser read it (normalised spacing and case), which
    is what ``position`` counts in: a caret under what the person typed could miss.
    """
    return f"  {text}\n  {' ' * position}^"


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


def marking_caret(exc: CaveatError) -> str | None:
    """The caret view of a marking error, None for any other error.

    Also for an ``invalid_marking`` error rebuilt from a node's problem+json (by the
    Python client), which carries the marking and the position in its data.
    """
    if isinstance(exc, MarkingError):
        return exc.caret()
    text, position = exc.data.get("text"), exc.data.get("position")
    if exc.code == MarkingError.code and isinstance(text, str) and isinstance(position, int):
        return caret_view(text, position)
    return None


def marking_diagnostics(exc: CaveatError) -> str | None:
    """:meth:`MarkingError.diagnostics` (message, caret view, hint) of a marking error,
    rebuilt ones included; None for any other error."""
    caret = marking_caret(exc)
    return None if caret is None else _diagnostics(exc.detail, caret, exc.hint)


def _diagnostics(detail: str, caret: str, hint: str | None) -> str:
    text = f"{detail}\n{caret}"
    return f"{text}\nhint: {hint}" if hint else text
