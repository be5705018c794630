"""The permission table: pinned matrix, totality, composition laws, and coverage of
every service method that writes."""

from __future__ import annotations

import ast
from pathlib import Path

from caveat.domain.identity import Role
from caveat.domain.permissions import PERMISSIONS, Act, Actor, Code, Target
from caveat.domain.permissions.rules import NOT_SELF, AllOf, AnyOf, NodeConsole, role
from tests.permissions.matrix import render

HERE = Path(__file__).parent
SERVICES = Path(__file__).parents[2] / "src" / "caveat" / "services"


def test_the_matrix_is_pinned() -> None:
    """A change to who may do what is a reviewed diff of permission_matrix.txt."""
    pinned = (HERE / "permission_matrix.txt").read_text()
    assert render() == pinned, (
        "the permission matrix changed; if deliberate, regenerate it with "
        "`python -m tests.permissions.matrix > tests/permissions/permission_matrix.txt`"
    )


def test_every_action_has_a_rule() -> None:
    assert set(PERMISSIONS) == set(Act)


def test_empty_compositions_deny() -> None:
    actor = Actor(person_id="p", organisation_id="o", roles=frozenset(Role))
    any_none, all_none = AnyOf(()).check(actor, Target()), AllOf(()).check(actor, Target())
    assert any_none is not None
    assert any_none.code is Code.NO_RULE
    assert all_none is not None
    assert all_none.code is Code.NO_RULE


def test_roles_never_hold_for_the_console() -> None:
    """The console's powers are the named NodeConsole rule, never a role bypass."""
    assert role(*Role).check(Actor(console=True), Target()) is not None


def test_a_self_change_is_reported_as_such() -> None:
    actor = Actor(person_id="me", organisation_id="o", roles=frozenset({Role.SECURITY_OFFICER}))
    failed = PERMISSIONS[Act.PERSON_UPDATE].rule.check(
        actor, Target(person_id="me", organisation_id="o")
    )
    assert failed is not None
    assert failed.code is Code.SELF_CHANGE
    assert NOT_SELF.check(actor, Target(person_id="other")) is None


def test_a_refusal_names_what_a_person_could_satisfy_before_the_console() -> None:
    """any_of(console, role) refused to a person names the role, not the console."""
    rule = AnyOf((NodeConsole(), role(Role.SECURITY_OFFICER)))
    failed = rule.check(Actor(person_id="p", organisation_id="o"), Target())
    assert failed is not None
    assert failed.rule == "role security_officer"
    alone = AnyOf((NodeConsole(),)).check(Actor(person_id="p"), Target())
    assert alone is not None
    assert alone.rule == "the node's console"


# Methods that write without a permission check, each for a stated reason.
UNCHECKED_WRITERS = {
    "AuthService.login": "authentication itself: the credentials are the check",
    "AuthService.logout": "ends the caller's own session only",
    "AuthService.step_up": "proves the caller's own second factor again",
    "Appends.record_part": "an upload session's owner appends to it (checked by the session)",
    "UploadSessions.begin": "the policy decides the upload's label (label_above_reader)",
    "UploadSessions.abort": "only the session's owner may abort (checked by the session)",
    "Downloads.open_content": "the policy decides every read; the read is recorded",
    "Downloads.record_integrity_failure": "the system records a failed check",
    "MonitoringService.scan": "the system raises alerts",
    "MonitoringService.raise_alert": "the system raises alerts",
    "WitnessService.add_checkpoint": "a peer's signed checkpoint, verified by signature",
    "PeerRequests.authenticate": "a peer's signed request: the signature is the check",
    "PeerRecalls.confirm": "a peer's signed request, and only for recalls sent to that peer",
    "PeerRecalls.acknowledge": "the node's sync marks the confirmations the peer took",
    "PlanReminders.run_due": "the node's periodic job; it tells only assignees who may still read",
    "PeerReReleases.receive": "a peer's signed request, only about what was released to it",
    "WitnessService.witness_each_other_in": "inside a peering's acceptance (peer.accept)",
    "AuditService.export_csv": "reads through AuditService.search, which authorizes",
    "ReleaseService.request": "any reader may ask; the policy decides what they see",
    "BundleExporter.export": "reads the ledger as an auditor; records the export",
    "ChannelLedger.flush": "the system records channel activity authorized when it happened",
    "PeerIngest.ingest_in": "inside the pull that keeps a verified package (the node's sync)",
    "ReceivedArtifacts.commit_in": "inside PeerIngest.ingest_in: a verified partner release",
    "ReleaseProofs.prove": "the node's sync asks a peer for proofs and records their verdicts",
    "PeerSplits.answer": "a peer's signed request, only for a split released to that peer",
    "PeerSplits.open_received": "inside PeerReleases.open_split, which authorizes",
}


WRITE_MARKS = ("self._uow(", "uow(ctx)", "uow.record(", ".transaction(")


def _writing_methods() -> dict[str, str]:
    """Public methods of service classes whose body opens a unit of work or records an
    event, with their source."""
    found: dict[str, str] = {}
    for path in sorted(SERVICES.rglob("*.py")):
        source = path.read_text()
        for cls in ast.parse(source).body:
            if not isinstance(cls, ast.ClassDef):
                continue
            for fn in cls.body:
                if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                    continue
                body = ast.get_source_segment(source, fn) or ""
                if any(
                    s in body for s in ("self._uow(", "uow(ctx)", "uow.record(", ".transaction(")
                ):
                    found[f"{cls.name}.{fn.name}"] = body
    return found


def test_every_service_method_that_writes_authorizes() -> None:
    writers = _writing_methods()
    missing = sorted(
        name
        for name, body in writers.items()
        if "authorize(" not in body and name not in UNCHECKED_WRITERS
    )
    assert not missing, f"these service methods write without authorize(): {missing}"
    stale = sorted(set(UNCHECKED_WRITERS) - set(writers))
    assert not stale, f"UNCHECKED_WRITERS names methods that no longer write: {stale}"
