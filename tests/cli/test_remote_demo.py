"""The officers' examples of the README and the user guide, on the demo node: signed in
as its officers, the CLI answers what the console used to (issue 16)."""

from __future__ import annotations

from pathlib import Path

from caveat.bootstrap.container import Node
from caveat.services import demo
from tests.cli.remote_support import remote_cli
from tests.permissions.demo_support import demo_node
from tests.support import FakeClock


def test_an_officer_explains_and_a_researcher_may_not(
    node: Node, clock: FakeClock, tmp_path: Path
) -> None:
    seeded = demo_node(node, clock)
    with remote_cli(seeded.world, tmp_path, password=demo.DEMO_PASSWORD) as cli:
        explain = ("policy", "explain", "--user", "alice", "--resource")
        found = cli.ok("victor", *explain, "Sensor fusion test plan")
        assert found["permitted"] is True
        assert found["requirements"]
        # An ORCON entry victor may not discover: its title tells him nothing.
        code = cli.error("victor", 4, *explain, "Threat emitter parameters")
        assert code == "unknown_resource"
        human = cli.invoke("victor", *explain, "Sensor fusion test plan")
        assert human.exit_code == 0, human.output
        assert "PERMIT" in human.stdout
        assert cli.error("alice", 3, *explain, "Sensor fusion test plan") == "policy_denied"
        assert "Agreements" in cli.invoke("victor", "agreement", "list").stdout
        assert cli.ok("erin", "authorization", "list")


def test_the_auditor_explores_the_log_as_herself(
    node: Node, clock: FakeClock, tmp_path: Path
) -> None:
    seeded = demo_node(node, clock)
    with remote_cli(seeded.world, tmp_path, password=demo.DEMO_PASSWORD) as cli:
        page = cli.ok("audra", "audit", "events", "--action", "agreement.*", "--limit", "5")
        assert page["entries"]
        assert all(e["type"].startswith("agreement.") for e in page["entries"])
        assert isinstance(cli.ok("audra", "audit", "alerts"), list)
        activity = cli.ok("audra", "audit", "activity", "--action", "agreement.*")
        assert activity["total"] > 0
        assert activity["families"] == ["release"]
        written = cli.ok("audra", "audit", "csv", str(tmp_path / "events.csv"))
        assert written["rows"] > 0
        # Her export is recorded under her own name, not the console's.
        exported = cli.ok("audra", "audit", "events", "--action", "audit.exported")
        assert exported["entries"][0]["actor_name"] == "audra"
        assert cli.error("alice", 3, "audit", "events") == "policy_denied"
