"""The import-linter contracts in pyproject.toml hold, and each one fails when broken: a
copy of the source gets one planted import and `lint-imports` must name that contract
(else a contract that matches nothing would pass for ever)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

PURE = "The domain is pure: no web, database, CLI or service imports"
ACYCLIC = "No import cycles among sibling modules and packages"
LAYERS = "Layers point downwards"
PRIVATE = "Features talk to each other through their entry points"


def _lint(tree: Path) -> dict[str, str]:
    """Each contract's verdict (KEPT or BROKEN) for the package under ``tree``/src."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    verdicts = dict(re.findall(r"^(.+?) (KEPT|BROKEN)$", done.stdout, re.MULTILINE))
    assert verdicts, done.stdout + done.stderr
    return verdicts


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _plant(tree: Path, module: str, line: str) -> None:
    path = tree / "src" / module
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("from __future__ import annotations\n")
    path.write_text(f"{head}from __future__ import annotations\n{line}\n{rest}", encoding="utf-8")


def test_every_contract_holds_on_the_code(tree: Path) -> None:
    assert _lint(tree) == {PURE: "KEPT", ACYCLIC: "KEPT", LAYERS: "KEPT", PRIVATE: "KEPT"}


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("caveat/domain/names.py", "import sqlalchemy  # noqa", PURE),
        ("caveat/domain/names.py", "import caveat.services.kernel.uow  # noqa", PURE),
        ("caveat/services/node/_service.py", "import caveat.api.app  # noqa", LAYERS),
        ("caveat/adapters/files.py", "import caveat.services.kernel.uow  # noqa", LAYERS),
        # artifacts already uses the policy feature: the reverse closes a cycle
        ("caveat/services/policy/_service.py", "import caveat.services.artifacts  # noqa", ACYCLIC),
        # a feature reaching past another feature's entry point, and the API doing so
        (
            "caveat/services/compliance/_releases.py",
            "import caveat.services.artifacts._lookup  # noqa",
            PRIVATE,
        ),
        ("caveat/api/routes/ledger.py", "import caveat.services.ledger._store  # noqa", PRIVATE),
        ("caveat/cli/output.py", "import caveat.cli.main  # noqa", ACYCLIC),
    ],
)
def test_a_planted_import_breaks_its_contract(
    tree: Path, module: str, line: str, broken: str
) -> None:
    _plant(tree, module, line)
    assert _lint(tree)[broken] == "BROKEN"
