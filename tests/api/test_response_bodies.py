"""No undocumented response body (issue 15: views are the contract).

On the demo node (SQLite in CI), signed in as the demo's security officer, every body
the API answers must match the schema its OpenAPI document gives for that status:
schemathesis generates a few requests per operation, and the reads of things the demo
holds (an artifact, a resource, a programme, an agreement, a person ...) are called
with their real ids so their success bodies are checked too, not only their 404s.

Bounded (a few examples per operation, no shrinking) so it runs in every CI build;
``CAVEAT_SCHEMATHESIS_EXAMPLES`` raises it for a deeper run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from caveat.api.app import create_app
from caveat.bootstrap.container import FirstOperator, Node, init_node, seed_demo
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.services import demo
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.conftest import empty_tables
from tests.support import FakeClock, Scenario

EXAMPLES = int(os.environ.get("CAVEAT_SCHEMATHESIS_EXAMPLES", "2"))
CHECKS = [not_a_server_error, response_schema_conformance]
OFFICER = "victor"  # the demo's security officer


# The API's documented contract: the same on either database, so walked on SQLite only.
pytestmark = pytest.mark.one_database


@pytest.fixture(scope="module")
def demo_api(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> Iterator[tuple[Node, Callable[[], str]]]:
    """The demo node, and a way to sign in as its security officer."""
    from datetime import UTC, datetime

    empty_tables(database_url)
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    node, _ = init_node(
        Settings(
            data_dir=Path(tmp_path_factory.mktemp("bodies")) / "node",
            database_url=database_url,
            hash_profile=HashProfile.TEST,
            node_name="bodies",
        ),
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
    world.accounts.update(seed_demo(node))
    node.ledger.publish_checkpoint(ConsoleOperator())

    def sign_in() -> str:
        # Generated requests include wrong passwords for this very account: lift any
        # lockout they earned before signing in for the next operation.
        node.people.unlock(ConsoleOperator(), CallContext.cli(), OFFICER)
        return world.login(world.accounts[OFFICER], password=demo.DEMO_PASSWORD).token

    yield node, sign_in
    node.close()


def _known(node: Node) -> dict[str, dict[str, Any]]:
    """Path parameters of things the demo holds, per operation path."""
    officer = Principal(person=node.people.get_person(OFFICER), mfa_at=node.uow.clock())
    artifact = node.artifact_search.search(officer, _everything()).items[0].id
    resource = node.policy.list_visible(officer, limit=1).items[0].id
    project = node.projects.list_projects()[0].id
    programme = node.programmes.list_programmes()[0].id
    agreement = node.agreements.list_agreements(officer)[0].id
    authorization = node.authorizations.list_authorizations(officer)[0].id
    person = node.people.get_person(OFFICER).id
    discussion = node.discussions.discussions(officer)[0].id
    message = node.discussions.discussion(officer, discussion).messages[0].id
    return {
        "/api/v1/discussions/{discussion_id}": {"discussion_id": discussion},
        "/api/v1/discussions/messages/{message_id}/versions": {"message_id": message},
        "/api/v1/artifacts/{artifact_id}": {"artifact_id": artifact},
        "/api/v1/resources/{resource_id}": {"resource_id": resource},
        "/api/v1/resources/{resource_id}/decision": {"resource_id": resource},
        "/api/v1/resources/{resource_id}/grants": {"resource_id": resource},
        "/api/v1/policy/who-can/{resource_id}": {"resource_id": resource},
        "/api/v1/projects/{ref}/members": {"ref": project},
        "/api/v1/programmes/{ref}": {"ref": programme},
        "/api/v1/programmes/{ref}/funding": {"ref": programme},
        "/api/v1/agreements/{ref}": {"ref": agreement},
        "/api/v1/authorizations/{ref}": {"ref": authorization},
        "/api/v1/people/{ref}": {"ref": person},
        "/api/v1/people/{ref}/caveats": {"ref": person},
        "/api/v1/audit/people/{person_id}": {"person_id": person},
        "/api/v1/audit/targets/{target_type}/{target_id}": {
            "target_type": "artifact",
            "target_id": artifact,
        },
        "/api/v1/ledger/entries/{index}": {"index": 0},
    }


# Reads that need a query to answer 200.
QUERIES: dict[str, dict[str, Any]] = {
    "/api/v1/ledger/proofs/inclusion": {"index": 0},
    "/api/v1/ledger/proofs/consistency": {"old": 1},
    "/api/v1/control-lists/describe": {"entry": ["EAR:3A001.a.1"]},
    "/api/v1/federation/descriptor": {
        "name": "caveat-usa",
        "nation": "USA",
        "organisation": "AFRL",
        "endpoint": "https://caveat.afrl.example",
    },
}


def _everything() -> Any:
    from caveat.services.artifacts import SearchQuery

    return SearchQuery(limit=1)


def test_no_undocumented_response_body(demo_api: tuple[Node, Callable[[], str]]) -> None:
    node, sign_in = demo_api
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(node))
    failures: dict[str, str] = {}
    operations = 0
    for loaded in schema.get_all_operations():
        operation = loaded.ok()  # type: ignore[union-attr]  # an Err raises here, as wanted
        operations += 1
        # A fresh session for each operation: signing out, changing the password or
        # ending every session (all generated too) must not starve the ones after.
        run = _pass(operation, {"Authorization": f"Bearer {sign_in()}"}, _timeout(operation))
        try:
            run()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # every operation is tried; all failures are reported
            failures[operation.label] = _summary(exc)
    assert operations >= 120
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_success_bodies_of_what_the_demo_holds(demo_api: tuple[Node, Callable[[], str]]) -> None:
    node, sign_in = demo_api
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(node))
    known = _known(node)
    checked: dict[str, int] = {}
    for loaded in schema.get_all_operations():
        operation = loaded.ok()  # type: ignore[union-attr]  # an Err raises here, as wanted
        # Partner nodes sign /federation/ requests (tests/federation/test_protocol.py).
        if operation.method.upper() != "GET" or operation.path.startswith(
            ("/tile/", "/federation/")
        ):
            continue
        params = known.get(operation.path)
        if "{" in operation.path and params is None:
            continue
        case = operation.Case(path_parameters=params or {}, query=QUERIES.get(operation.path))
        response = case.call(headers={"Authorization": f"Bearer {sign_in()}"})
        case.validate_response(response, checks=CHECKS)
        checked[operation.path] = response.status_code
    wrong = {path: status for path, status in checked.items() if status != 200}
    assert wrong == {}
    assert set(known) <= set(checked)


def _timeout(operation: Any) -> float:
    """Seconds a request may take: an event stream never ends and is cut early (what it
    sent by then is checked); anything else gets a minute, so that a loaded CI machine
    is not mistaken for an undocumented answer."""
    responses = operation.definition.raw.get("responses", {})
    streams = any("text/event-stream" in (r.get("content") or {}) for r in responses.values())
    return 5.0 if streams else 60.0


def _pass(operation: Any, headers: dict[str, str], timeout: float) -> Callable[[], None]:
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
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=timeout)

    return run


def _summary(exc: BaseException) -> str:
    """The failed checks' titles and what was received, without the long report."""
    lines = [line.strip(" |") for line in str(exc).splitlines()]
    kept = [line for line in lines if line.startswith(("- ", "Received", "Documented", "["))]
    return " / ".join(kept[:8]) or repr(exc)[:300]
