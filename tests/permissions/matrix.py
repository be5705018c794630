"""Print the who-may-do-what matrix the permission table implies.

Run ``python -m tests.permissions.matrix > tests/permissions/permission_matrix.txt``
after a deliberate change to the table; the diff is what reviewers read.
"""

from __future__ import annotations

from caveat.domain.identity import Role
from caveat.domain.permissions import PERMISSIONS, Actor, Target

ME, PEER, STRANGER = "p-me", "p-peer", "p-stranger"
OWN_ORG, OTHER_ORG = "org-own", "org-other"

# Who acts: the console, each role signed in freshly, and a researcher using a token.
ACTORS: dict[str, Actor] = {"console": Actor(console=True)}
for _role in Role:
    ACTORS[_role.value] = Actor(
        person_id=ME, organisation_id=OWN_ORG, nation="GBR", roles=frozenset({_role}), mfa_age_s=60
    )
ACTORS["researcher+token"] = Actor(
    person_id=ME,
    organisation_id=OWN_ORG,
    nation="GBR",
    roles=frozenset({Role.RESEARCHER}),
    via_token=True,
)

# On what: oneself, a colleague, a person of another nation's organisation, and
# the same facts as seen through agreements, resources and requests.
TARGETS: dict[str, Target] = {
    "self": Target(person_id=ME, organisation_id=OWN_ORG, granting_nation="GBR"),
    "colleague": Target(person_id=PEER, organisation_id=OWN_ORG, granting_nation="GBR"),
    "colleague,foreign-clearance": Target(
        person_id=PEER, organisation_id=OWN_ORG, granting_nation="USA"
    ),
    "other-org": Target(person_id=STRANGER, organisation_id=OTHER_ORG, granting_nation="USA"),
    "party": Target(party_organisations=frozenset({OWN_ORG}), party_nations=frozenset({"GBR"})),
    "non-party": Target(
        party_organisations=frozenset({OTHER_ORG}), party_nations=frozenset({"FRA"})
    ),
    "own-resource": Target(originator_org_id=OWN_ORG, requested_by=PEER),
    "own-resource,own-request": Target(originator_org_id=OWN_ORG, requested_by=ME),
    "other-resource": Target(originator_org_id=OTHER_ORG, requested_by=PEER),
    "lead-of-project": Target(
        person_id=PEER, organisation_id=OTHER_ORG, project_leads=frozenset({ME})
    ),
    "other-lab,round-open": Target(organisation_id=OTHER_ORG, round_coordinator=PEER),
    "other-lab,round-closed": Target(
        organisation_id=OTHER_ORG, round_coordinator=PEER, round_closed=True
    ),
    "other-lab,coordinated-round": Target(organisation_id=OTHER_ORG, round_coordinator=ME),
    # A peer of this node: who operates the node, who receives what goes to the peer,
    # and who recorded the peer.
    "peer,own-node": Target(
        node_organisation_id=OWN_ORG,
        recipient_organisations=frozenset({OTHER_ORG}),
        requested_by=PEER,
    ),
    "peer,own-node,own-record": Target(
        node_organisation_id=OWN_ORG,
        recipient_organisations=frozenset({OTHER_ORG}),
        requested_by=ME,
    ),
    "peer,own-node,own-recipient": Target(
        node_organisation_id=OWN_ORG,
        recipient_organisations=frozenset({OWN_ORG}),
        requested_by=PEER,
    ),
    "peer,other-node": Target(
        node_organisation_id=OTHER_ORG,
        recipient_organisations=frozenset({OWN_ORG}),
        requested_by=PEER,
    ),
}


def render() -> str:
    """One block per action: its rule, then each target with the actors it allows."""
    lines: list[str] = []
    for act, permission in sorted(PERMISSIONS.items(), key=lambda kv: kv[0].value):
        lines.append(f"{act.value} [{permission.scope.value}]: {permission.rule.describe()}")
        for target_name, target in TARGETS.items():
            allowed = [
                name
                for name, actor in ACTORS.items()
                if permission.rule.check(actor, target) is None
            ]
            lines.append(f"  {target_name:30} {', '.join(allowed) or '-'}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
