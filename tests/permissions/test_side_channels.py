"""What others learn about a resource follows the policy's discover decision (issue 11,
reproduction 8): who-can lists only the officer's own organisation and counts the rest,
screening holds are shown only to the subject's own officers, audit events, the event
CSV and ledger entries withhold what the reader may not discover while every leaf still
verifies, and only operators (or the sequencer) publish checkpoints."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.domain.ledger import leaf_hash, verify_inclusion
from caveat.domain.policy import Action
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import WITHHELD, EventFilter
from tests.support import PASSWORD, FakeClock, Scenario

CONSOLE = ConsoleOperator()
SECRET_TITLE = "Hidden NOFORN seeker plan"
US_LAB, UK_LAB, NO_LAB = "Air Force Research Laboratory", "Dstl", "FFI"


@dataclass
class Cast:
    """AFRL (USA) originates; Dstl (GBR) and FFI (NOR) take part; one Dstl researcher is
    held by a screening hit; an uncleared auditor and a Norwegian officer read the log."""

    world: Scenario
    project: str
    shared: str  # SECRET//REL TO USA, GBR, from AFRL
    uk: str  # SECRET//REL TO USA, GBR, from Dstl
    noforn: str  # SECRET//NOFORN, from AFRL, titled SECRET_TITLE

    @property
    def node(self) -> Node:
        return self.world.node

    def principal(self, username: str) -> Principal:
        return Principal(person=self.node.people.get_person(username), mfa_at=self.world.clock())

    def client(self, username: str) -> CaveatClient:
        client = CaveatClient(
            "http://testserver",
            http=TestClient(create_app(self.node), raise_server_exceptions=False),
        )
        client.login(username, PASSWORD, self.world.code_for(username))
        return client


def cast(node: Node, clock: FakeClock) -> Cast:
    world = Scenario(node, clock)
    ctx = CallContext.cli()
    afrl, dstl, ffi = world.org(US_LAB, "USA"), world.org(UK_LAB, "GBR"), world.org(NO_LAB, "NOR")
    world.person("sol", roles=(Role.SECURITY_OFFICER,), org=afrl)
    world.person("alice", org=afrl)
    world.person("rick", org=afrl)
    world.person("gso", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=dstl)
    world.person("bob", nations=("GBR",), org=dstl)
    world.person("abu", nations=("GBR",), org=dstl)  # display name "Abu": listed below
    world.person("ingrid", nations=("NOR",), roles=(Role.SECURITY_OFFICER,), org=ffi)
    # An auditor without any clearance: reads the record, never a resource's metadata.
    world.accounts["audrey"] = node.people.create_person(
        CONSOLE,
        ctx,
        username="audrey",
        display_name="Audrey",
        email="audrey@example.org",
        organisation=afrl,
        citizenships=["USA"],
        roles=[Role.AUDITOR],
        password=PASSWORD,
    )
    project = node.projects.create_project(CONSOLE, ctx, name="Seeker").id
    for who in ("sol", "alice", "gso", "bob", "abu", "ingrid"):
        node.projects.add_member(CONSOLE, ctx, project, who)
    node.screening.import_list(CONSOLE, ctx, name="Custom", fmt="generic", text="id,name\n1,Abu\n")
    day = clock().date()

    def register(title: str, marking: str, originator: str) -> str:
        label = parse_marking(marking, groups=node.registry.directory(), on=day)
        return node.catalogue.register(
            CONSOLE,
            ctx,
            project=project,
            kind="document",
            title=title,
            label=label,
            originator=originator,
        ).id

    shared = register("Shared seeker data", "SECRET//REL TO USA, GBR", afrl)
    uk = register("UK range plan", "SECRET//REL TO USA, GBR", dstl)
    noforn = register(SECRET_TITLE, "SECRET//NOFORN", afrl)
    return Cast(world, project, shared, uk, noforn)


@pytest.fixture
def people(node: Node, clock: FakeClock) -> Cast:
    return cast(node, clock)


# --- who-can and explain ----------------------------------------------------------------


def test_who_can_lists_the_officers_organisation_and_counts_the_others(people: Cast) -> None:
    node = people.node
    report = node.policy.who_can(
        people.principal("sol"), resource_id=people.shared, action=Action.READ
    )
    listed = {w.username: w for w in report.people}
    assert set(listed) == {"sol", "alice", "rick", "audrey"}  # AFRL only
    assert listed["alice"].permitted
    assert "need_to_know" in listed["rick"].failed  # own people: with their failed requirements
    assert {(c.organisation, c.nation, c.people) for c in report.others} == {
        (UK_LAB, "GBR", 3),  # gso, bob and abu
        ("Caveat Node Operations (GBR)", "GBR", 1),  # the node's first operator
        (NO_LAB, "NOR", 1),
    }
    assert "other organisations" in report.summary()
    # Over HTTP the same: nobody of another organisation is named.
    answer = people.client("sol").who_can(people.shared)
    assert {w["username"] for w in answer["people"]} == {"sol", "alice", "rick", "audrey"}
    text = json.dumps(answer)
    for other in ("bob", "abu", "gso", "ingrid", "operator"):
        assert other not in text
    assert answer["total"] == 9
    # The console still sees everyone (it holds the data directory).
    everyone = node.policy.who_can(CONSOLE, resource_id=people.shared, action=Action.READ)
    assert len(everyone.people) == 9
    assert not everyone.others


def test_screening_holds_are_shown_only_to_the_subjects_own_officers(people: Cast) -> None:
    node = people.node
    own = node.policy.who_can(people.principal("gso"), resource_id=people.uk, action=Action.READ)
    assert "screening" in {w.username: w for w in own.people}["abu"].failed
    # AFRL's officer asks about the same people on AFRL's resource: abu is one of the
    # Dstl people counted; neither the hold nor any Dstl requirement result shows.
    answer = people.client("sol").who_can(people.shared)
    assert "screening" not in json.dumps(answer)
    assert "abu" not in json.dumps(answer)
    # Explaining abu's decision is for Dstl's officers: refused with the rule named.
    with pytest.raises(PermissionDenied) as refused:
        node.policy.explain(
            people.principal("sol"), person="abu", resource_id=people.shared, action=Action.READ
        )
    assert refused.value.code == "policy_denied"
    assert refused.value.data["rule"] == "of the same organisation"
    with pytest.raises(PermissionDenied) as over_http:
        people.client("sol").explain("abu", people.shared)
    assert over_http.value.code == "policy_denied"
    why = node.policy.explain(
        people.principal("gso"), person="abu", resource_id=people.uk, action=Action.READ
    )
    assert "screening" in why.failed


# --- audit events, the CSV and ledger entries ----------------------------------------------


def _noforn_registered(people: Cast) -> int:
    node = people.node
    node.ledger.integrate()
    [event] = node.audit.search(
        CONSOLE, EventFilter(action="resource.registered", target_id=people.noforn)
    ).entries
    assert event.data["title"] == SECRET_TITLE  # the console sees everything
    assert event.leaf_index is not None
    return event.leaf_index


@pytest.mark.parametrize("reader", ["audrey", "ingrid"])
def test_audit_views_withhold_what_the_reader_may_not_discover(people: Cast, reader: str) -> None:
    node = people.node
    index = _noforn_registered(people)
    who = people.principal(reader)
    found = node.audit.search(who, EventFilter(target_id=people.noforn)).entries
    [registered] = [e for e in found if e.type == "resource.registered"]
    assert registered.withheld
    assert registered.data == {}
    assert registered.actor_kind  # the event stays: id, type, time, actor
    assert registered.occurred_at
    history = node.audit.target_history(who, "resource", people.noforn).entries
    assert all(e.withheld for e in history)
    shared = node.audit.search(who, EventFilter(target_id=people.shared)).entries
    assert shared
    assert all(e.withheld for e in shared)  # REL TO USA, GBR: neither may discover it
    accounts = node.audit.search(who, EventFilter(action="person.created")).entries
    assert accounts
    assert not any(e.withheld for e in accounts)  # events about no resource stay whole
    # The CSV: the row is there, its data withheld.
    text = node.audit.export_csv(who, CallContext.cli(), EventFilter(action="resource.*"))
    assert SECRET_TITLE not in text
    assert "NOFORN" not in text
    rows = {r["target_id"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows[people.noforn]["data"] == WITHHELD
    # The entry: its leaf hash and the event without data; the proof still verifies.
    entry = node.audit.entry(who, index)
    assert entry.withheld
    assert entry.event["withheld"] == WITHHELD
    assert entry.event["data"] == {}
    assert entry.event["type"] == "resource.registered"
    assert SECRET_TITLE not in json.dumps(entry.event)
    full = node.audit.entry(CONSOLE, index)
    assert full.body is not None
    assert entry.leaf_hash == full.leaf_hash == leaf_hash(full.body.encode())
    cp = node.ledger.publish_now()
    proof = node.ledger.inclusion_proof(index)
    verify_inclusion(index, proof.size, entry.leaf_hash, proof.proof, cp.root_hash)
    # Raw entry bundles are never redacted: refused whole to this reader.
    with pytest.raises(PermissionDenied) as refused:
        node.audit.entries_tile(who, 0, min(cp.size, 256))
    assert refused.value.code == "policy_denied"
    assert len(node.audit.entries_tile(CONSOLE, 0, min(cp.size, 256))) > 0


def test_a_reader_who_may_discover_sees_the_event(people: Cast) -> None:
    index = _noforn_registered(people)
    sol = people.principal("sol")
    entry = people.node.audit.entry(sol, index)
    assert entry.body is not None
    assert json.loads(entry.body)["data"]["title"] == SECRET_TITLE
    [event] = people.node.audit.search(
        sol, EventFilter(action="resource.registered", target_id=people.noforn)
    ).entries
    assert not event.withheld


def test_the_api_withholds_events_and_entries_and_proofs_verify(people: Cast) -> None:
    index = _noforn_registered(people)
    size = people.node.ledger.publish_now().size
    assert index < size < 256
    for reader in ("audrey", "ingrid"):
        client = people.client(reader)
        page = client.audit_events(target_id=people.noforn)
        assert page["entries"]
        assert all(e["withheld"] and e["data"] == {} for e in page["entries"])
        assert SECRET_TITLE not in json.dumps(page)
        text = client.audit_events_csv(target_id=people.noforn)
        assert SECRET_TITLE not in text
        assert WITHHELD in text
        entry = client.ledger_entry(index)
        assert entry["withheld"] == WITHHELD
        assert SECRET_TITLE not in json.dumps(entry)
        proof = client.inclusion_proof(index=index)
        assert proof["leaf_hash"] == entry["leaf_hash"]
        unb = base64.b64decode
        verify_inclusion(
            index,
            proof["size"],
            unb(entry["leaf_hash"]),
            [unb(h) for h in proof["proof"]],
            unb(proof["root_hash"]),
        )
        tile = client._http.get(f"/tile/entries/000.p/{size}")  # raw leaves: whole or not
        assert tile.status_code == 403
        assert tile.json()["code"] == "policy_denied"


# --- checkpoints --------------------------------------------------------------------------


def test_only_operators_publish_checkpoints(people: Cast) -> None:
    node = people.node
    with pytest.raises(PermissionDenied) as refused:
        node.ledger.publish_checkpoint(people.principal("alice"))
    assert refused.value.code == "policy_denied"
    assert refused.value.data["action"] == "ledger.checkpoint_publish"
    with pytest.raises(PermissionDenied):
        people.client("alice").publish_checkpoint()
    with pytest.raises(PermissionDenied):
        node.ledger.publish_checkpoint(people.principal("audrey"))  # auditors read, not publish
    people.world.person("otto", roles=(Role.NODE_OPERATOR,))
    assert people.client("otto").publish_checkpoint()["size"] > 0
    assert node.ledger.publish_checkpoint(CONSOLE).size > 0
