"""The API answers as its OpenAPI document says (issue 12): schemathesis generates
requests for every operation from the published schema and checks that none is a
server error and that every status and content type it gets back is documented.

Bounded (a few examples per operation, no shrinking), so it runs in every CI build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)

from caveat.api.app import create_app
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.conftest import empty_tables
from tests.support import FakeClock, Scenario

# Per operation: bounded so the pass fits every CI build; raise it for a deeper run.
EXAMPLES = int(os.environ.get("CAVEAT_SCHEMATHESIS_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]

# The API's documented contract: the same on either database, so walked on SQLite only.
pytestmark = pytest.mark.one_database


@pytest.fixture(scope="module")
def conformance_node(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[tuple[Node, Callable[[], str]]]:
    """One node for the whole pass, and a way to sign in as its operator and officer."""
    from datetime import UTC, datetime

    empty_tables(database_url)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    settings_ = Settings(
        data_dir=Path(tmp_path_factory.mktemp("conformance")) / "node",
        database_url=database_url,
        hash_profile=HashProfile.TEST,
        node_name="conformance",
    )
    node, _ = init_node(
        settings_,
        FirstOperator(
            username="operator",
            display_name="Olive Operator",
            email="olive@ops.example",
            organisation="Caveat Node Operations (GBR)",
            nation="GBR",
        ),
        clock=clock,
    )
    world = Scenario(node, clock)
    officer = world.person(
        "ada", nations=("GBR",), roles=(Role.NODE_OPERATOR, Role.SECURITY_OFFICER)
    )

    def sign_in() -> str:
        # Generated requests include wrong passwords and codes for this very account:
        # lift any lockout they earned before signing in for the next operation.
        node.people.unlock(ConsoleOperator(), CallContext.cli(), "ada")
        return world.login(officer).token

    yield node, sign_in
    node.close()


def test_every_answer_is_documented(conformance_node: tuple[Node, Callable[[], str]]) -> None:
    node, sign_in = conformance_node
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(node))
    failures: dict[str, str] = {}
    operations = 0
    for loaded in schema.get_all_operations():
        operation = loaded.ok()  # type: ignore[union-attr]  # an Err raises here, as wanted
        operations += 1
        # A fresh session for each operation: signing out, changing the password or
        # ending every session (all generated too) must not starve the ones after.
        run = _pass(operation, {"Authorization": f"Bearer {sign_in()}"})
        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # every operation is tried; all failures are reported
            failures[operation.label] = _summary(exc)
    assert operations >= 120
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())


def _pass(operation: Any, headers: dict[str, str]) -> Callable[[], None]:
    """A bounded schemathesis pass over one operation with these headers."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run


def _summary(exc: BaseException) -> str:
    """The failed checks' titles and what was received, without the long report."""
    lines = [line.strip(" |") for line in str(exc).splitlines()]
    kept = [line for line in lines if line.startswith(("- ", "Received", "Documented", "["))]
    return " / ".join(kept[:8]) or repr(exc)[:300]
