"""`caveat federation`: this node's descriptor and its partner nodes (issue 18).

Console commands: they run at the node with its data directory, as the node's operator.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from caveat.cli.context import state
from caveat.cli.output import errors, out, show, table
from caveat.services.kernel.principal import ConsoleOperator

if TYPE_CHECKING:
    from datetime import datetime

    from caveat.services.federation import LinkStatus, Peer, ProofStatus

federation = typer.Typer(
    help="Partner nodes: this node's descriptor, peering, key rotation (at the node's console).",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
Reason = Annotated[str, typer.Option(help="why (recorded in the ledger)")]
Fingerprint = Annotated[
    str, typer.Option(help="the fingerprint the partner's operator read out to you")
]
CONSOLE = ConsoleOperator()


@federation.command("descriptor")
def descriptor(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="this node's name as partners will see it")],
    nation: Annotated[str, typer.Option(help="this node's nation (ISO alpha-3)")],
    organisation: Annotated[str, typer.Option(help="the organisation that runs this node")],
    endpoint: Annotated[str, typer.Option(help="the https:// URL partners reach it at")],
    output: Annotated[Path | None, typer.Option(help="write the descriptor here")] = None,
    json_: JsonOpt = False,
) -> None:
    """Print this node's descriptor (to hand over) and its fingerprint (to read out)."""
    with errors(json_):
        made = (
            state(ctx)
            .open()
            .federation.descriptor(
                CONSOLE, name=name, nation=nation, organisation=organisation, endpoint=endpoint
            )
        )
        text = json.dumps(made.to_json(), indent=2) + "\n"
        if output is not None:
            output.write_text(text, encoding="utf-8")
        answer = {"descriptor": made.to_json(), "fingerprint": made.fingerprint()}

        def human() -> None:
            if output is None:
                out.print(escape(text), end="")
            else:
                out.print(f"descriptor written to {escape(str(output))}")
            out.print(f"fingerprint: {made.fingerprint()}")

        show(answer, json_, human)


@federation.command("organisation")
def organisation(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="record this registered organisation (once)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Show (or record, once) the organisation operating this node: its security officers
    say who receives what goes to a peer, and its nation is the one packages received must
    be releasable to. `caveat init` records it; an upgraded node may need it set here."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        service = state(ctx).open().federation
        found = (
            service.node_organisation(CONSOLE)
            if name is None
            else service.set_node_organisation(CONSOLE, CallContext.cli(), name)
        )
        show(
            found,
            json_,
            lambda: out.print(
                "not recorded: `caveat federation organisation NAME`"
                if found is None
                else f"{escape(found.name)} ({found.nation}) operates this node"
            ),
        )


@federation.command("received")
def received(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """What peers released to this node (verified, kept sealed), with its origin and
    where its release proof stands (proved, pending, or refused and hidden)."""
    with errors(json_):
        found = state(ctx).open().federation_received.list(CONSOLE)
        show(
            found,
            json_,
            lambda: table(
                "Received from peers",
                ["from", "origin artifact", "marking", "size", "received", "release proof", "key"],
                [
                    (
                        escape(r.peer),
                        r.origin_resource_id or "unknown",
                        escape(r.banner),
                        str(r.size),
                        r.received_at.strftime("%Y-%m-%d %H:%M UTC"),
                        escape(_proof_text(r.proof)),
                        "offline" if r.split is None else f"split: {r.split}",
                    )
                    for r in found
                ],
            ),
        )


def _proof_text(proof: ProofStatus) -> str:
    """One line for a received item's release proof."""
    when = "" if proof.checked_at is None else proof.checked_at.strftime(" %Y-%m-%d %H:%M UTC")
    if proof.state == "proved":
        return f"proved at size {proof.tree_size} (leaf {proof.leaf_index}),{when}"
    if proof.state == "refused":
        return f"REFUSED{when}: {proof.reason} (hidden)"
    return "pending: awaiting a checkpoint this node cosigned"


@federation.command("recall")
def recall(
    ctx: typer.Context,
    peer: Annotated[str, typer.Argument(help="the peer's name or id")],
    artifact: Annotated[str, typer.Argument(help="the artifact released to it")],
    reason: Annotated[
        str, typer.Option(help="mis_release, agreement_ended, licence_revoked or other")
    ],
    text: Annotated[str, typer.Option(help="why, in words (required for other)")] = "",
    json_: JsonOpt = False,
) -> None:
    """Recall what was released of an artifact to a peer: it hides it on its next pull."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        service = state(ctx).open().federation_releases.recalls
        made = service.recall(
            CONSOLE, CallContext.cli(), peer, artifact, reason=reason, detail=text
        )
        show(
            made,
            json_,
            lambda: out.print(
                f"Recall {made.id} waits in {escape(made.peer)}'s outbox; it confirms "
                "after its next sync (`caveat federation recalls`)."
            ),
        )


@federation.command("recalls")
def recalls(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Option(help="only this peer's")] = None,
    json_: JsonOpt = False,
) -> None:
    """Recalls sent and received, and whether each is confirmed."""
    with errors(json_):
        found = state(ctx).open().federation_releases.recalls.recalls(CONSOLE, peer=peer)
        show(
            found,
            json_,
            lambda: table(
                "Recalls",
                ["", "peer", "artifact (origin)", "reason", "recalled", "outcome", "confirmed"],
                [
                    (
                        r.direction,
                        escape(r.peer),
                        r.resource_id,
                        escape(r.reason + (f": {r.detail}" if r.detail else "")),
                        r.recalled_at.strftime("%Y-%m-%d %H:%M UTC"),
                        r.outcome or "-",
                        "-"
                        if r.confirmed_at is None
                        else r.confirmed_at.strftime("%Y-%m-%d %H:%M UTC"),
                    )
                    for r in found
                ],
            ),
        )


@federation.command("peers")
def peers(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the partner nodes, revoked ones too."""
    with errors(json_):
        found = state(ctx).open().federation.peers(CONSOLE)
        show(found, json_, lambda: _rows(found))


@federation.command("propose")
def propose(
    ctx: typer.Context,
    descriptor_file: Annotated[Path, typer.Argument(help="the partner's descriptor (JSON)")],
    json_: JsonOpt = False,
) -> None:
    """Record a partner's descriptor; an officer then confirms its fingerprint."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        text = _read(descriptor_file)
        made = state(ctx).open().federation.propose(CONSOLE, CallContext.cli(), text)
        show(made, json_, lambda: _said(made, "recorded; compare this fingerprint"))


@federation.command("accept")
def accept(ctx: typer.Context, peer: str, fingerprint: Fingerprint, json_: JsonOpt = False) -> None:
    """Accept a proposed peer whose fingerprint you compared with its operator."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        made = state(ctx).open().federation.accept(CONSOLE, CallContext.cli(), peer, fingerprint)
        show(made, json_, lambda: _said(made, "accepted"))


@federation.command("rotate")
def rotate(
    ctx: typer.Context,
    peer: str,
    descriptor_file: Annotated[Path, typer.Argument(help="the peer's new descriptor (JSON)")],
    json_: JsonOpt = False,
) -> None:
    """Record a peer's new descriptor; the old keys stay in use until it is confirmed."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        text = _read(descriptor_file)
        made = state(ctx).open().federation.rotate_keys(CONSOLE, CallContext.cli(), peer, text)
        show(made, json_, lambda: _said(made, f"new keys wait: {made.pending_fingerprint}"))


@federation.command("accept-keys")
def accept_keys(
    ctx: typer.Context, peer: str, fingerprint: Fingerprint, json_: JsonOpt = False
) -> None:
    """Confirm a peer's new descriptor by its fingerprint."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        made = node.federation.accept_keys(CONSOLE, CallContext.cli(), peer, fingerprint)
        show(made, json_, lambda: _said(made, "new keys in use"))


@federation.command("discard-keys")
def discard_keys(ctx: typer.Context, peer: str, reason: Reason, json_: JsonOpt = False) -> None:
    """Drop a peer's proposed descriptor; the one in use stays."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        made = node.federation.discard_keys(CONSOLE, CallContext.cli(), peer, reason=reason)
        show(made, json_, lambda: _said(made, "proposed keys discarded"))


@federation.command("revoke")
def revoke(ctx: typer.Context, peer: str, reason: Reason, json_: JsonOpt = False) -> None:
    """End a peering for good."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        made = state(ctx).open().federation.revoke(CONSOLE, CallContext.cli(), peer, reason=reason)
        show(made, json_, lambda: _said(made, "revoked"))


@federation.command("hello")
def hello(ctx: typer.Context, peer: str, json_: JsonOpt = False) -> None:
    """Ask a peer who it is over the signed protocol: checks that its endpoint answers
    as the node you accepted and that it accepts this node's signature."""
    with errors(json_):
        answer = state(ctx).open().federation.hello(CONSOLE, peer)

        def human() -> None:
            out.print(
                f"{escape(answer.name)} ({answer.node_id}) answered; it knows this node as "
                f"{escape(answer.you_are)}"
            )
            if answer.checkpoint:
                out.print(escape(answer.checkpoint), end="")

        show(answer, json_, human)


@federation.command("agreements")
def agreements(
    ctx: typer.Context,
    peer: str,
    agreement: Annotated[
        list[str] | None, typer.Argument(help="agreements in force (none: stop exchange)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Set the agreements exchange with a peer happens under."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        made = node.federation.set_agreements(CONSOLE, CallContext.cli(), peer, agreement or [])
        show(made, json_, lambda: _said(made, "under " + (", ".join(made.agreements) or "none")))


@federation.command("receiving-project")
def receiving_project(
    ctx: typer.Context,
    peer: str,
    project: Annotated[
        str | None, typer.Argument(help="a local project; none: received items stay sealed")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Say which local project what a peer releases here becomes artifacts of."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        made = node.federation.set_receiving_project(CONSOLE, CallContext.cli(), peer, project)
        where = made.receiving_project or "nowhere: received items stay sealed"
        show(made, json_, lambda: _said(made, f"received items go into {where}"))


@federation.command("recipient")
def recipient(
    ctx: typer.Context,
    peer: str,
    organisation: Annotated[str, typer.Option(help="the registered organisation running it")],
    accredited: Annotated[str, typer.Option(help="highest level it may hold, e.g. SECRET")],
    json_: JsonOpt = False,
) -> None:
    """Say which organisation receives what is released to a peer, and to which level the
    node is accredited."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        made = (
            state(ctx)
            .open()
            .federation.set_recipient(
                CONSOLE, CallContext.cli(), peer, organisation=organisation, accredited=accredited
            )
        )
        show(
            made,
            json_,
            lambda: _said(
                made,
                f"releases go to {made.recipient_organisation}, up to {made.accredited_level}",
            ),
        )


@federation.command("preview")
def preview(
    ctx: typer.Context,
    peer: str,
    after: Annotated[str | None, typer.Option(help="continue after this resource id")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 200,
    json_: JsonOpt = False,
) -> None:
    """What a peer would receive of the catalogue, and why not the rest (a dry run)."""
    with errors(json_):
        found = state(ctx).open().federation.preview(CONSOLE, peer, after=after, limit=limit)

        def human() -> None:
            table(
                f"Release to {escape(found.peer)} ({found.nation}, accredited to "
                f"{found.accredited_level}): {found.releasable} would go, "
                f"{found.withheld} withheld",
                ["item", "banner", "goes", "why not"],
                [
                    (
                        escape(i.title),
                        escape(i.banner or "unlabelled"),
                        "yes" if i.releasable else "no",
                        escape("; ".join(i.reasons)),
                    )
                    for i in found.items
                ],
            )
            if found.next_after:
                out.print(f"more: --after {found.next_after}")

        show(found, json_, human)


@federation.command("sync")
def sync(
    ctx: typer.Context,
    peer: Annotated[
        str | None, typer.Argument(help="one peer now (default: every peer due)")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Sync with peers: a signed hello, then each peer's cosignature of our checkpoint."""
    from caveat.services.kernel.uow import CallContext

    with errors(json_):
        node = state(ctx).open()
        if peer is None:
            done = node.federation_sync.run_due(CallContext.cli())
        else:
            done = [node.federation_sync.sync_now(CONSOLE, CallContext.cli(), peer)]
        show(done, json_, lambda: _links(done))


@federation.command("links")
def links(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """How the link to each peer is doing."""
    with errors(json_):
        found = state(ctx).open().federation_sync.links(CONSOLE)
        show(found, json_, lambda: _links(found))


def _links(found: list[LinkStatus]) -> None:
    def when(at: datetime | None) -> str:
        return "never" if at is None else at.strftime("%Y-%m-%d %H:%M:%S UTC")

    table(
        "Links to peers",
        ["peer", "up", "last success", "failures", "last error", "next try", "cosigned"],
        [
            (
                escape(link.peer),
                "yes" if link.up else "no",
                when(link.last_success_at),
                str(link.failures),
                escape(link.last_error),
                when(link.next_attempt_at),
                str(link.cosigned_size),
            )
            for link in found
        ],
    )


def _read(path: Path) -> bytes:
    from caveat.domain.errors import InvalidInput

    try:
        return path.read_bytes()[:65536]
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", code="invalid_input") from None


def _said(peer: Peer, what: str) -> None:
    out.print(f"peer {escape(peer.name)} ({peer.nation}, {peer.status}): {escape(what)}")
    out.print(f"fingerprint: {peer.fingerprint}")


def _rows(found: list[Peer]) -> None:
    table(
        "Peers",
        ["name", "nation", "status", "endpoint", "fingerprint", "agreements"],
        [
            (
                escape(p.name),
                p.nation,
                p.status,
                escape(p.endpoint),
                p.fingerprint,
                escape(", ".join(p.agreements)),
            )
            for p in found
        ],
    )


# --- re-release: as the signed-in officer, through the server (the SDK) ----------------


@federation.command("release")
def release(
    peer: Annotated[str, typer.Argument(help="the peer's name or id")],
    artifact: Annotated[str, typer.Argument(help="the artifact to release")],
    key_mode: Annotated[
        str,
        typer.Option(
            help="offline: the package carries the whole key (disconnected partners); "
            "split: this node keeps a key split the peer must obtain before its first open, "
            "and a recall destroys it"
        ),
    ] = "offline",
    json_: JsonOpt = False,
) -> None:
    """Release an artifact to a peer (the originating organisation's security officer,
    through the server): it waits in the peer's outbox until the peer pulls it."""
    from caveat.cli.remote import _client

    with errors(json_), _client() as client:
        sent = client.federation.release(peer, artifact, key_mode=key_mode)
        split = " Split key: it opens there only after the peer obtains this node's split."
        show(
            sent,
            json_,
            lambda: out.print(
                f"Packaged for {escape(sent['peer'])} (outbox #{sent['seq']}); it waits until "
                "the peer pulls it." + (split if sent.get("key_mode") == "split" else "")
            ),
        )


@federation.command("open")
def open_item(
    item: Annotated[str, typer.Argument(help="the received item's id (federation received)")],
    json_: JsonOpt = False,
) -> None:
    """First open of a split-mode item a peer released here: obtain its originating node's
    key split, open and verify it (through the server, as an operator)."""
    from caveat.cli.remote import _client

    with errors(json_), _client() as client:
        made = client.federation.open_split(item)
        where = (
            f"artifact {made['artifact_id']}"
            if made.get("artifact_id")
            else "kept sealed (no receiving project)"
        )
        show(
            made,
            json_,
            lambda: out.print(f"Opened {made['item_id']}: {made['size']} bytes, {where}."),
        )


re_release = typer.Typer(
    help="Re-release a received item to a third nation: asked of its originating node and "
    "decided there (as the signed-in officer, through the server).",
    no_args_is_help=True,
)
federation.add_typer(re_release, name="re-release")


@re_release.command("request")
def re_release_request(
    item: Annotated[str, typer.Argument(help="the received item's id (federation received)")],
    nation: Annotated[str, typer.Option(help="the third nation (ISO alpha-3)")],
    justification: Annotated[str, typer.Option(help="why it should go there")],
    peer: Annotated[str, typer.Option(help="the third node as the originator knows it")] = "",
    json_: JsonOpt = False,
) -> None:
    """Ask the item's originating node to release it to a third nation."""
    from caveat.cli.remote import _client

    with errors(json_), _client() as client:
        made = client.federation.re_release(
            item, nation=nation, justification=justification, peer=peer
        )
        sent = "sent" if made["delivered"] else "kept; it is sent on the next sync"
        show(
            made,
            json_,
            lambda: out.print(f"Re-release request {made['id']} to {made['nation']}: {sent}."),
        )


@re_release.command("list")
def re_release_list(
    status: Annotated[
        str | None, typer.Option(help="pending, approved, refused or rejected")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Re-release requests sent and received (a received one's asker is as the asking
    node states it: not verified)."""
    from caveat.cli.remote import _client

    with errors(json_), _client() as client:
        found = client.federation.re_releases(status=status)
        show(
            found,
            json_,
            lambda: table(
                "Re-release requests",
                ["id", "", "peer", "artifact (origin)", "to", "asked by (stated)", "status"],
                [
                    (
                        r["id"],
                        r["direction"],
                        escape(r["peer"]),
                        r["resource_id"],
                        r["nation"] + (f" ({escape(r['to_peer'])})" if r["to_peer"] else ""),
                        escape(r["requested_by_stated"]),
                        r["status"] + (f": {escape(r['reason'])}" if r["reason"] else ""),
                    )
                    for r in found
                ],
            ),
        )


@re_release.command("decide")
def re_release_decide(
    request: Annotated[str, typer.Argument(help="the request's id")],
    approve: Annotated[
        bool, typer.Option("--approve/--refuse", help="release it to the third node, or not")
    ],
    reason: Annotated[str, typer.Option(help="why (required to refuse)")] = "",
    json_: JsonOpt = False,
) -> None:
    """Decide a peer's re-release request (the originating organisation's officer): an
    approval releases the item to the third node if the policy permits it."""
    from caveat.cli.remote import _client

    with errors(json_), _client() as client:
        made = client.federation.decide_re_release(request, approve=approve, reason=reason)
        show(made, json_, lambda: out.print(f"Re-release request {made['id']}: {made['status']}."))
