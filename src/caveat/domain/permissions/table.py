"""Who may do what: the one declarative permission table (service action -> rule).

Every service method that changes state (and every officer-only read) starts with
``authorize(by, Act.X, target)``; that function reads this table and nothing else.
An action the table does not name is denied. The policy engine still decides every
access to labelled content on top of this: a role here never stands in for it.

Two rules bind every write (docs/threat-model.md, "Who may change what"):
nobody changes the facts that decide their own access, and loosening is a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from caveat.domain.identity import Role
from caveat.domain.permissions.rules import (
    COORDINATOR,
    GRANTING_NATION,
    NODE_ORGANISATION,
    NOT_RECIPIENT,
    NOT_REQUESTER,
    NOT_SELF,
    ORIGINATOR,
    OWN_ORGANISATION,
    PARTY,
    PROJECT_LEAD,
    PROJECT_MEMBER,
    ROUND_CLOSED,
    SELF,
    SIGNED_IN,
    FreshSecondFactor,
    NodeConsole,
    Rule,
    all_of,
    any_of,
    role,
)


class Scope(StrEnum):
    """What an API token must carry for the action (sessions carry every scope)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class Act(StrEnum):
    """Every action a service authorizes; the value is the name events and docs use."""

    # registry and accounts
    ORGANISATION_CREATE = "organisation.create"
    GROUP_CREATE = "group.create"
    PERSON_CREATE = "person.create"
    PERSON_UPDATE = "person.update"  # roles, clearance, nationalities
    PERSON_SET_STATUS = "person.set_status"  # suspend or reactivate
    PERSON_UNLOCK = "person.unlock"
    PERSON_RESET_MFA = "person.reset_mfa"
    PERSON_OPERATOR_ROLE = "person.operator_role"  # give or take the node_operator role
    PERSON_CAVEATS_READ = "person.caveats_read"  # the compartments a person is read on to
    PEOPLE_READ = "person.read"  # list accounts, or read another person's account
    ADDRESS_UNLOCK = "address.unlock"
    # one's own credentials
    PASSWORD_CHANGE = "credential.password"  # noqa: S105 (an action name)
    AUTHENTICATOR_REPLACE = "credential.authenticator"
    RECOVERY_CODES_RENEW = "credential.recovery_codes"
    SESSIONS_REVOKE_ALL = "credential.revoke_sessions"
    TOKEN_CREATE = "token.create"  # noqa: S105 (an action name)
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 (an action name)
    # need-to-know
    PROJECT_CREATE = "project.create"
    PROJECT_MEMBER_ADD = "project.member_add"
    PROJECT_MEMBER_UPDATE = "project.member_update"
    PROJECT_MEMBER_REMOVE = "project.member_remove"
    GRANT_ACCESS = "resource.grant_access"
    GRANT_ORIGINATOR = "resource.grant_originator"
    GRANT_REVOKE = "resource.grant_revoke"
    GRANT_READ = "resource.grant_read"  # who holds explicit grants on a resource
    READON_REQUEST = "caveat.readon_request"
    READON_APPROVE = "caveat.readon_approve"
    READOFF = "caveat.readoff"
    # labels
    RESOURCE_REGISTER = "resource.register"
    RELABEL_TIGHTEN = "resource.relabel"  # direct, only ever tighter
    RELABEL_REQUEST = "resource.relabel_request"
    RELABEL_DECIDE = "resource.relabel_decide"
    # compliance
    AGREEMENT_CREATE = "agreement.create"
    AGREEMENT_AMEND = "agreement.amend"
    AGREEMENT_MOVE = "agreement.move"
    AGREEMENT_READ = "agreement.read"
    AUTHORIZATION_WRITE = "authorization.write"
    AUTHORIZATION_READ = "authorization.read"
    EMBARGO_WRITE = "embargo.write"
    EMBARGO_READ = "embargo.read"
    SCREENING_IMPORT = "screening.import"
    SCREENING_RUN = "screening.run"
    SCREENING_READ = "screening.read"
    SCREENING_RESOLVE = "screening.resolve"
    RELEASE_REQUEST = "release.request"
    RELEASE_CLASSIFY = "release.classify"
    RELEASE_DECIDE = "release.decide"
    RELEASE_OVERSEE = "release.oversee"  # every request and the export records
    PROGRAMME_MANAGE = "programme.manage"
    VISIT_REQUEST_FOR_OTHERS = "visit.request_for_others"
    VISIT_DECIDE = "visit.decide"
    # ledger, monitoring, keys
    AUDIT_READ = "audit.read"
    CHECKPOINT_PUBLISH = "ledger.checkpoint_publish"
    WITNESS_CONFIGURE = "ledger.witness_configure"
    WITNESS_LIST = "ledger.witness_list"
    ALERT_READ = "alert.read"
    ALERT_ACKNOWLEDGE = "alert.acknowledge"
    ARTIFACT_VERIFY = "artifact.verify"
    KEK_ROTATE = "kek.rotate"
    # federation: peering with partner nodes
    PEER_PROPOSE = "peer.propose"
    PEER_ACCEPT = "peer.accept"
    PEER_REVOKE = "peer.revoke"  # end a peering, or drop a peer's proposed keys
    PEER_SET_RECIPIENT = "peer.set_recipient"  # who receives releases to it, how high
    PEER_SET_AGREEMENTS = "peer.set_agreements"  # the agreements exchange happens under
    PEER_SET_RECEIVING_PROJECT = "peer.set_receiving_project"  # where received items go
    NODE_ORGANISATION_SET = "node.organisation_set"  # record who operates this node (once)
    PEER_READ = "peer.read"
    PEER_PROOF_REFUSED_READ = "peer.proof_refused_read"  # see items whose proof was refused
    PEER_RELEASE = "peer.release"  # send an item to a partner node
    PEER_RECALL = "peer.recall"  # recall what was sent to a partner node
    PEER_RE_RELEASE_REQUEST = "peer.re_release_request"  # ask an originator to send onwards
    PEER_RE_RELEASE_DECIDE = "peer.re_release_decide"  # decide such a request, as originator
    # threat intelligence: the TAXII 2.1 server (what is read is the policy's decision)
    TAXII_COLLECTION_CREATE = "taxii.collection_create"
    TAXII_READ = "taxii.read"
    TAXII_ADD = "taxii.add"
    TAXII_DELETE = "taxii.delete"
    TAXII_SUBSCRIBE = "taxii.subscribe"  # add, poll or remove a subscription to a partner
    # standardized test and evaluation: procedures and proficiency rounds (issue 19)
    PROFICIENCY_PROCEDURE_WRITE = "proficiency.procedure_write"  # a procedure or new version
    PROFICIENCY_PROCEDURE_APPROVE = "proficiency.procedure_approve"
    PROFICIENCY_ROUND_OPEN = "proficiency.round_open"
    PROFICIENCY_ROUND_CLOSE = "proficiency.round_close"  # close (and score) or cancel
    PROFICIENCY_SUBMIT = "proficiency.submit"  # a laboratory's results
    PROFICIENCY_READ = "proficiency.read"  # procedures, rounds, one's own laboratory's results
    PROFICIENCY_RESULT_READ = "proficiency.result_read"  # a laboratory's submission and scores
    PROFICIENCY_ITEM_CHECK = "proficiency.item_check"  # homogeneity/stability of the items
    # discussions: labelled messages per project and per artifact (issue 21)
    DISCUSSION_READ = "discussion.read"
    DISCUSSION_POST = "discussion.post"  # start a discussion or post a message
    DISCUSSION_EDIT = "discussion.edit"  # a new version of one's own message
    # live channels (issue 21): what each reader receives is the policy's decision per message
    CHANNEL_CREATE = "channel.create"
    CHANNEL_PUBLISH = "channel.publish"
    CHANNEL_READ = "channel.read"
    # project plans (issue 21): work packages, tasks, milestones, deliverables
    PLAN_READ = "plan.read"
    PLAN_EDIT = "plan.edit"  # add work packages, tasks, milestones, deliverables; deliver
    PLAN_TASK_MOVE = "plan.task_move"  # start, finish, cancel or reopen a task
    # work queues and notifications (issues 16 and 21)
    WORK_READ = "work.read"  # one's own work queue
    NOTIFICATION_READ = "notification.read"  # one's own notifications
    NOTIFICATION_MARK = "notification.mark"  # mark one's own notification read
    NOTIFICATION_PREFER = "notification.prefer"  # turn mailing of one's own on or off
    # policy tools for officers
    POLICY_EXPLAIN = "policy.explain"
    POLICY_WHO_CAN = "policy.who_can"


@dataclass(frozen=True, slots=True)
class Permission:
    """What an action needs: the token scope and the rule over actor and target."""

    scope: Scope
    rule: Rule


# Credentials change only in a session whose second factor is at most this old.
STEP_UP_WINDOW_S = 15 * 60

R = Role
CONSOLE = NodeConsole()
PERSON = SIGNED_IN
OPERATOR = role(R.NODE_OPERATOR)
OFFICER = role(R.SECURITY_OFFICER)
# A security officer acts for their own organisation only.
OWN_OFFICER = all_of(OFFICER, OWN_ORGANISATION)
# A security officer of the organisation operating this node, who is not of the
# organisation receiving what goes to the peer (Target.node_organisation_id and
# Target.recipient_organisations).
# The receiving organisation's officer hears the more telling reason (a self-change).
NODE_OFFICER = all_of(OFFICER, NOT_RECIPIENT, NODE_ORGANISATION)
FRESH = FreshSecondFactor(STEP_UP_WINDOW_S)
OWN_CREDENTIAL = all_of(SELF, FRESH)


def _p(scope: Scope, rule: Rule) -> Permission:
    return Permission(scope, rule)


W, A, RD = Scope.WRITE, Scope.ADMIN, Scope.READ

PERMISSIONS: dict[Act, Permission] = {
    # -- registry and accounts: operators node-wide, officers within their organisation,
    #    clearances only by officers of the granting nation, never oneself.
    Act.ORGANISATION_CREATE: _p(A, any_of(CONSOLE, OPERATOR)),
    Act.GROUP_CREATE: _p(A, any_of(CONSOLE, OPERATOR)),
    Act.PERSON_CREATE: _p(A, any_of(CONSOLE, OPERATOR, all_of(OWN_OFFICER, GRANTING_NATION))),
    Act.PERSON_UPDATE: _p(
        A,
        any_of(CONSOLE, all_of(OPERATOR, NOT_SELF), all_of(OWN_OFFICER, GRANTING_NATION, NOT_SELF)),
    ),
    Act.PERSON_SET_STATUS: _p(
        A, any_of(CONSOLE, all_of(OPERATOR, NOT_SELF), all_of(OWN_OFFICER, NOT_SELF))
    ),
    Act.PERSON_UNLOCK: _p(
        A, any_of(CONSOLE, all_of(OPERATOR, NOT_SELF), all_of(OWN_OFFICER, NOT_SELF))
    ),
    Act.PERSON_RESET_MFA: _p(
        A, any_of(CONSOLE, all_of(OPERATOR, NOT_SELF), all_of(OWN_OFFICER, NOT_SELF))
    ),
    # Only the node's operators make or unmake operators (an officer would otherwise
    # give a puppet account of their organisation node-wide powers).
    Act.PERSON_OPERATOR_ROLE: _p(A, any_of(CONSOLE, all_of(OPERATOR, NOT_SELF))),
    Act.PERSON_CAVEATS_READ: _p(RD, any_of(CONSOLE, role(R.AUDITOR), OWN_OFFICER)),
    Act.PEOPLE_READ: _p(A, any_of(CONSOLE, OPERATOR, OFFICER)),
    Act.ADDRESS_UNLOCK: _p(A, any_of(CONSOLE, OPERATOR, OFFICER)),
    # -- one's own credentials: a fresh second factor in a session, never a token.
    Act.PASSWORD_CHANGE: _p(W, OWN_CREDENTIAL),
    Act.AUTHENTICATOR_REPLACE: _p(W, OWN_CREDENTIAL),
    Act.RECOVERY_CODES_RENEW: _p(W, OWN_CREDENTIAL),
    Act.SESSIONS_REVOKE_ALL: _p(W, OWN_CREDENTIAL),
    Act.TOKEN_CREATE: _p(W, OWN_CREDENTIAL),
    Act.TOKEN_REVOKE: _p(W, OWN_CREDENTIAL),
    # -- need-to-know: the project's lead or the person's own security officer, never
    #    oneself; compartment read-ons take two different people.
    Act.PROJECT_CREATE: _p(W, any_of(CONSOLE, role(R.PROGRAMME_MANAGER, R.SECURITY_OFFICER))),
    Act.PROJECT_MEMBER_ADD: _p(
        W, any_of(CONSOLE, all_of(PROJECT_LEAD, NOT_SELF), all_of(OWN_OFFICER, NOT_SELF))
    ),
    Act.PROJECT_MEMBER_UPDATE: _p(
        W, any_of(CONSOLE, all_of(PROJECT_LEAD, NOT_SELF), all_of(OWN_OFFICER, NOT_SELF))
    ),
    Act.PROJECT_MEMBER_REMOVE: _p(W, any_of(CONSOLE, PROJECT_LEAD, OWN_OFFICER, SELF)),
    Act.GRANT_ACCESS: _p(
        W, any_of(CONSOLE, all_of(PROJECT_LEAD, NOT_SELF), all_of(OWN_OFFICER, NOT_SELF))
    ),
    Act.GRANT_ORIGINATOR: _p(W, any_of(CONSOLE, all_of(OFFICER, ORIGINATOR, NOT_SELF))),
    Act.GRANT_REVOKE: _p(
        W, any_of(CONSOLE, PROJECT_LEAD, OWN_OFFICER, all_of(OFFICER, ORIGINATOR))
    ),
    Act.READON_REQUEST: _p(W, any_of(CONSOLE, all_of(OWN_OFFICER, NOT_SELF))),
    Act.GRANT_READ: _p(
        RD,
        any_of(CONSOLE, PROJECT_LEAD, role(R.SECURITY_OFFICER, R.PROGRAMME_MANAGER, R.AUDITOR)),
    ),
    # The console's direct read-on is a request and an approval by the same actor:
    # only the console may do both (it raises a conduct alert).
    Act.READON_APPROVE: _p(W, any_of(CONSOLE, all_of(OWN_OFFICER, NOT_SELF, NOT_REQUESTER))),
    Act.READOFF: _p(W, any_of(CONSOLE, OWN_OFFICER)),
    # -- labels: the originating organisation tightens; others ask; loosening is a
    #    release (Act.RELEASE_*), decided by the originator's security officer.
    Act.RESOURCE_REGISTER: _p(W, any_of(CONSOLE, PERSON)),
    Act.RELABEL_TIGHTEN: _p(W, any_of(CONSOLE, ORIGINATOR)),  # the service refuses loosening
    Act.RELABEL_REQUEST: _p(W, PERSON),
    Act.RELABEL_DECIDE: _p(W, all_of(OFFICER, ORIGINATOR, NOT_REQUESTER)),
    # -- compliance
    Act.AGREEMENT_CREATE: _p(W, any_of(CONSOLE, all_of(role(R.AGREEMENT_MANAGER), PARTY))),
    Act.AGREEMENT_AMEND: _p(W, any_of(CONSOLE, all_of(role(R.AGREEMENT_MANAGER), PARTY))),
    Act.AGREEMENT_MOVE: _p(W, any_of(CONSOLE, all_of(role(R.AGREEMENT_MANAGER), PARTY))),
    Act.AGREEMENT_READ: _p(
        RD,
        any_of(
            CONSOLE,
            role(
                R.AGREEMENT_MANAGER,
                R.SECURITY_OFFICER,
                R.EXPORT_CONTROL_OFFICER,
                R.PROGRAMME_MANAGER,
                R.AUDITOR,
            ),
        ),
    ),
    Act.AUTHORIZATION_WRITE: _p(W, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER))),
    Act.AUTHORIZATION_READ: _p(
        RD, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER, R.SECURITY_OFFICER, R.AUDITOR))
    ),
    Act.EMBARGO_WRITE: _p(W, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER, R.NODE_OPERATOR))),
    Act.EMBARGO_READ: _p(
        RD,
        any_of(
            CONSOLE,
            role(R.EXPORT_CONTROL_OFFICER, R.SECURITY_OFFICER, R.NODE_OPERATOR, R.AUDITOR),
        ),
    ),
    Act.SCREENING_IMPORT: _p(
        W, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER, R.SECURITY_OFFICER))
    ),
    Act.SCREENING_RUN: _p(W, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER, R.SECURITY_OFFICER))),
    Act.SCREENING_READ: _p(RD, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER, R.SECURITY_OFFICER))),
    Act.SCREENING_RESOLVE: _p(W, any_of(all_of(OWN_OFFICER, NOT_SELF), CONSOLE)),
    Act.RELEASE_REQUEST: _p(W, PERSON),
    Act.RELEASE_CLASSIFY: _p(W, all_of(role(R.EXPORT_CONTROL_OFFICER), NOT_REQUESTER)),
    Act.RELEASE_DECIDE: _p(W, all_of(OFFICER, ORIGINATOR, NOT_REQUESTER)),
    Act.RELEASE_OVERSEE: _p(
        RD, any_of(CONSOLE, role(R.EXPORT_CONTROL_OFFICER, R.SECURITY_OFFICER, R.AUDITOR))
    ),
    Act.PROGRAMME_MANAGE: _p(W, any_of(CONSOLE, role(R.PROGRAMME_MANAGER))),
    Act.VISIT_REQUEST_FOR_OTHERS: _p(W, any_of(CONSOLE, role(R.PROGRAMME_MANAGER))),
    # The host organisation's officer (Target.organisation_id = the host), never for a
    # visit they make or asked for.
    Act.VISIT_DECIDE: _p(W, any_of(CONSOLE, all_of(OWN_OFFICER, NOT_SELF, NOT_REQUESTER))),
    # -- ledger, monitoring, keys
    Act.AUDIT_READ: _p(RD, any_of(CONSOLE, role(R.SECURITY_OFFICER, R.AUDITOR))),
    # Publishing at once is the operators'; the sequencer publishes on its schedule.
    Act.CHECKPOINT_PUBLISH: _p(A, any_of(OPERATOR, CONSOLE)),
    Act.WITNESS_CONFIGURE: _p(A, any_of(CONSOLE, role(R.NODE_OPERATOR, R.SECURITY_OFFICER))),
    Act.WITNESS_LIST: _p(RD, any_of(CONSOLE, role(R.NODE_OPERATOR, R.SECURITY_OFFICER, R.AUDITOR))),
    Act.ALERT_READ: _p(RD, any_of(CONSOLE, role(R.SECURITY_OFFICER, R.AUDITOR))),
    Act.ALERT_ACKNOWLEDGE: _p(W, any_of(all_of(OFFICER, NOT_SELF), CONSOLE)),
    Act.ARTIFACT_VERIFY: _p(W, any_of(CONSOLE, role(R.NODE_OPERATOR, R.SECURITY_OFFICER))),
    Act.KEK_ROTATE: _p(W, any_of(CONSOLE, OPERATOR)),
    # -- federation: an operator records a partner's descriptor (or new keys); a security
    #    officer who did not record them confirms the fingerprint. Who receives what goes
    #    to a peer (organisation, accreditation) widens what leaves this node: an officer
    #    of the organisation operating it, never one of the receiving organisation, and
    #    not who recorded the peer. Ending a peering (or dropping proposed keys) only
    #    stops exchange, so one such officer may do it at once (a compromised partner).
    Act.PEER_PROPOSE: _p(A, any_of(CONSOLE, OPERATOR)),
    Act.PEER_ACCEPT: _p(A, any_of(CONSOLE, all_of(NODE_OFFICER, NOT_REQUESTER))),
    Act.PEER_SET_RECIPIENT: _p(A, any_of(CONSOLE, all_of(NODE_OFFICER, NOT_REQUESTER))),
    # Naming an agreement widens what may leave the node, as the recipient does: the same
    # officers' decision, never the operator who recorded the peer alone.
    Act.PEER_SET_AGREEMENTS: _p(A, any_of(CONSOLE, all_of(NODE_OFFICER, NOT_REQUESTER))),
    # The receiving project decides which local readers a partner's releases reach (its
    # members, by the local policy): the same officers' decision as the recipient.
    Act.PEER_SET_RECEIVING_PROJECT: _p(A, any_of(CONSOLE, all_of(NODE_OFFICER, NOT_REQUESTER))),
    Act.PEER_REVOKE: _p(A, any_of(CONSOLE, NODE_OFFICER)),
    # Holding the data directory is holding the node: the console says who operates it.
    Act.NODE_ORGANISATION_SET: _p(A, CONSOLE),
    Act.PEER_READ: _p(RD, any_of(CONSOLE, role(R.NODE_OPERATOR, R.SECURITY_OFFICER, R.AUDITOR))),
    # A received item whose release proof was refused is hidden (its originator's log does
    # not hold the release): listed only to the officers who review the alert it raised.
    Act.PEER_PROOF_REFUSED_READ: _p(RD, any_of(CONSOLE, OFFICER)),
    # Sending to a partner node is the originating organisation's officer's decision, and
    # only for what the policy lets the node receive (a named person: not the console).
    Act.PEER_RELEASE: _p(W, all_of(OFFICER, ORIGINATOR)),
    # Recalling only narrows: the originating organisation's officer, or at once the
    # node's own officer (a mis-release found by the node) or the console.
    Act.PEER_RECALL: _p(W, any_of(CONSOLE, all_of(OFFICER, ORIGINATOR), NODE_OFFICER)),
    # A received item never goes on from here: a security officer of the organisation
    # receiving the originator's releases (Target.organisation_id) asks the originating
    # node to send it to a third nation; that node's originating organisation's officer
    # decides, approving only what the policy lets it release (a named person each).
    Act.PEER_RE_RELEASE_REQUEST: _p(W, OWN_OFFICER),
    Act.PEER_RE_RELEASE_DECIDE: _p(W, all_of(OFFICER, ORIGINATOR)),
    # -- threat intelligence (TAXII 2.1): programme managers and officers open a project's
    #    collection; its members read and add what the policy lets them read (nobody
    #    labels above what they may read); deleting is the originating organisation's.
    Act.TAXII_COLLECTION_CREATE: _p(
        W, any_of(CONSOLE, role(R.PROGRAMME_MANAGER, R.SECURITY_OFFICER))
    ),
    Act.TAXII_READ: _p(RD, PERSON),
    Act.TAXII_ADD: _p(W, PERSON),
    Act.TAXII_DELETE: _p(W, any_of(CONSOLE, ORIGINATOR)),
    # A subscription ingests a partner's feed on behalf of its owner (a named person,
    # never the console): programme managers and officers subscribe for their own
    # organisation, and manage its subscriptions.
    Act.TAXII_SUBSCRIBE: _p(
        W, all_of(role(R.PROGRAMME_MANAGER, R.SECURITY_OFFICER), OWN_ORGANISATION)
    ),
    # -- standardized test and evaluation (issue 19): anyone drafts a procedure version, a
    #    programme manager who did not write it approves it; programme managers open
    #    rounds, their coordinator closes them; a laboratory's own people submit its
    #    results. Results are blind: another laboratory's are read only once the round is
    #    closed (its coordinator reads them all); what is read is still the policy's
    #    decision on each submission's label.
    Act.PROFICIENCY_PROCEDURE_WRITE: _p(W, any_of(CONSOLE, PERSON)),
    Act.PROFICIENCY_PROCEDURE_APPROVE: _p(W, all_of(role(R.PROGRAMME_MANAGER), NOT_REQUESTER)),
    Act.PROFICIENCY_ROUND_OPEN: _p(W, any_of(CONSOLE, role(R.PROGRAMME_MANAGER))),
    Act.PROFICIENCY_ROUND_CLOSE: _p(W, COORDINATOR),
    Act.PROFICIENCY_SUBMIT: _p(W, OWN_ORGANISATION),
    Act.PROFICIENCY_READ: _p(RD, PERSON),
    Act.PROFICIENCY_RESULT_READ: _p(RD, any_of(OWN_ORGANISATION, COORDINATOR, ROUND_CLOSED)),
    Act.PROFICIENCY_ITEM_CHECK: _p(W, COORDINATOR),
    # -- discussions (issue 21): any signed-in person reads and posts where the policy lets
    #    them (need-to-know, each message's label); only the author edits a message, and
    #    the service refuses an edit that loosens its label (loosening is a release).
    Act.DISCUSSION_READ: _p(RD, PERSON),
    Act.DISCUSSION_POST: _p(W, PERSON),
    Act.DISCUSSION_EDIT: _p(W, SELF),
    # -- live channels (issue 21): programme managers and officers open a project's or a
    #    programme's channel; its members publish (nobody labels above what they may read)
    #    and read what the policy lets them read, decided per message.
    Act.CHANNEL_CREATE: _p(W, any_of(CONSOLE, role(R.PROGRAMME_MANAGER, R.SECURITY_OFFICER))),
    Act.CHANNEL_PUBLISH: _p(W, PERSON),
    Act.CHANNEL_READ: _p(RD, PERSON),
    # -- project plans (issue 21): the project's lead (its coordinator) or a security
    #    officer who is a member of the project edits the plan; a task's assignee moves
    #    their own task. Membership is never changed through the plan; what each reader
    #    sees is the policy's decision on each item's label.
    Act.PLAN_READ: _p(RD, PERSON),
    Act.PLAN_EDIT: _p(W, any_of(PROJECT_LEAD, all_of(OFFICER, PROJECT_MEMBER))),
    Act.PLAN_TASK_MOVE: _p(W, any_of(PROJECT_LEAD, all_of(OFFICER, PROJECT_MEMBER), SELF)),
    # -- work queues and notifications (issues 16 and 21, ADR 0028): a person reads their
    #    own queue and notifications and marks their own read; the queue's items are each
    #    still the owning feature's rule and the policy's decision. The service looks a
    #    notification up by recipient first, so another's answers as a missing one.
    Act.WORK_READ: _p(RD, PERSON),
    Act.NOTIFICATION_READ: _p(RD, PERSON),
    Act.NOTIFICATION_MARK: _p(W, SELF),
    Act.NOTIFICATION_PREFER: _p(W, SELF),
    # -- policy tools
    # Officers explain (and what-if) decisions of people of their own organisation only.
    Act.POLICY_EXPLAIN: _p(RD, any_of(OWN_OFFICER, CONSOLE)),
    Act.POLICY_WHO_CAN: _p(RD, any_of(OFFICER, CONSOLE)),
}
