"""What the CLI prints for people: text someone typed is shown as typed."""

from __future__ import annotations

import pytest

from caveat.cli import output


def test_a_table_cell_is_never_read_as_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reproduction: a display name such as ``[link=https://x.example]Olive[/link]`` was
    rendered as a terminal link (and ``[bold]`` swallowed), hiding what was typed."""
    from rich.console import Console

    monkeypatch.setattr(output, "out", Console(width=200, force_terminal=False))
    typed = "[link=https://x.example]Olive[/link] [bold]Operator[/bold]"
    output.table("People", ["name"], [(typed,), (None,)])
    assert typed in capsys.readouterr().out
