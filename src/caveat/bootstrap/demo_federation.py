"""`caveat demo --federation`: three demo nodes (USA, GBR, FRA) under one directory,
each with its own database, keys and TLS certificate from a demo CA, peered both ways
under the agreement of ``services/demo_federation.py`` (issue 18).

Layout of the directory::

    demo-federation.json      the nodes, their ports and URLs (written last: seeded)
    tls/ca.pem, ca.key        the demo CA (its key 0600)
    tls/<code>.pem, .key      each node's certificate for 127.0.0.1 and localhost
    <code>/                   each node's data directory, with demo-credentials.json

The peerings name each node's endpoint, so the ports are fixed when the nodes are
seeded; a later run serves on the ports recorded.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caveat.adapters.files import make_private_dir
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import Settings
from caveat.domain.errors import Conflict, InvalidInput
from caveat.services.demo_federation import (
    AGREEMENT,
    DEMO_PASSWORD,
    NATIONS,
    PROJECT,
    DemoNation,
    seed_files,
    seed_nation,
)
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext

MANIFEST = "demo-federation.json"
CREDENTIALS = "demo-credentials.json"
SYNC_SECONDS = 3  # a newcomer sees a release arrive within seconds
CERT_DAYS = 825
_SEED = ConsoleOperator("demo-seed")


@dataclass(frozen=True, slots=True)
class DemoNode:
    """One node of a seeded federated demo, as the manifest records it."""

    code: str
    nation: str
    name: str
    port: int
    data_dir: Path
    cert: Path
    key: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


@dataclass(frozen=True, slots=True)
class Federation:
    """A seeded federated demo: its directory, CA and nodes (USA, GBR, FRA)."""

    root: Path
    ca: Path
    nodes: tuple[DemoNode, ...]

    def node(self, code: str) -> DemoNode:
        return next(n for n in self.nodes if n.code == code)

    def serve_command(self, node: DemoNode) -> list[str]:
        """The `caveat serve` that runs ``node`` over HTTPS on its recorded port."""
        return [
            *(sys.executable, "-m", "caveat", "--data-dir", str(node.data_dir), "serve"),
            *("--host", "127.0.0.1", "--port", str(node.port)),
            *("--tls-cert", str(node.cert), "--tls-key", str(node.key)),
        ]

    def serve_env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` for a node's server: its own SQLite database (never a shared
        CAVEAT_DATABASE_URL), partners' certificates checked against the demo CA, and
        a short sync interval."""
        env = {k: v for k, v in base.items() if k not in _NODE_OWN}
        env["CAVEAT_FEDERATION_CA_BUNDLE"] = str(self.ca)
        env["CAVEAT_FEDERATION_SYNC_SECONDS"] = str(SYNC_SECONDS)
        env.setdefault("CAVEAT_LOG_LEVEL", "WARNING")  # three nodes' request logs drown the rest
        return env


# Settings each node must not take from the environment the demo was started in.
_NODE_OWN = frozenset(
    {
        "CAVEAT_DATA_DIR",
        "CAVEAT_DATABASE_URL",
        "CAVEAT_NODE_NAME",
        "CAVEAT_LEDGER_ORIGIN",
        "CAVEAT_BLOB_DIR",
        "CAVEAT_BLOB_STORE",
        "CAVEAT_CHANNEL_NATS_URL",
        "CAVEAT_FEDERATION_CA_BUNDLE",
        "CAVEAT_FEDERATION_SYNC_SECONDS",
    }
)


def load(root: Path) -> Federation | None:
    """The federated demo seeded in ``root``, or None if there is none."""
    try:
        data: dict[str, Any] = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    tls = root / "tls"
    nodes = tuple(
        DemoNode(
            code=n["code"],
            nation=n["nation"],
            name=n["name"],
            port=int(n["port"]),
            data_dir=root / n["code"],
            cert=tls / f"{n['code']}.pem",
            key=tls / f"{n['code']}.key",
        )
        for n in data["nodes"]
    )
    return Federation(root=root, ca=tls / "ca.pem", nodes=nodes)


def credentials(node: DemoNode) -> dict[str, Any]:
    """The node's demo logins, as the single demo writes them."""
    data: dict[str, Any] = json.loads((node.data_dir / CREDENTIALS).read_text(encoding="utf-8"))
    return data


def seed(settings: Settings, root: Path, *, base_port: int) -> Federation:
    """Make the three nodes in ``root`` (it holds no node yet), peer them, and record
    them in the manifest last."""
    if not 1024 <= base_port <= 65533:
        raise InvalidInput(
            "the base port must be 1024-65533 (the nodes take it and the next two)",
            code="invalid_input",
            field="base_port",
        )
    if any((root / n.code).exists() for n in NATIONS):
        raise Conflict(
            f"{root} holds part of a federated demo whose seeding did not finish",
            code="demo_incomplete",
            hint=f"remove {root} and run the demo again",
        )
    make_private_dir(root)
    tls = root / "tls"
    make_private_dir(tls)
    federation = Federation(
        root=root,
        ca=tls / "ca.pem",
        nodes=tuple(
            DemoNode(
                code=n.code,
                nation=n.nation,
                name=n.node_name,
                port=base_port + i,
                data_dir=root / n.code,
                cert=tls / f"{n.code}.pem",
                key=tls / f"{n.code}.key",
            )
            for i, n in enumerate(NATIONS)
        ),
    )
    make_tls(federation)
    nodes: dict[str, Node] = {}
    try:
        for nation, demo in zip(NATIONS, federation.nodes, strict=True):
            nodes[nation.code] = _seed_node(settings, nation, demo)
        for nation in NATIONS:
            for other in NATIONS:
                if other.code != nation.code:
                    _peer(nodes[nation.code], nodes[other.code], federation.node(other.code))
                    _open(nodes[nation.code], other)
        usa = nodes["usa"]
        seed_files(usa.artifacts, usa.people, clock=usa.uow.clock)
    finally:
        for node in nodes.values():
            node.close()
    manifest = {
        "note": "DEMO ONLY: three demo nodes; their accounts and secrets are public.",
        "nodes": [
            {"code": n.code, "nation": n.nation, "name": n.name, "port": n.port, "url": n.url}
            for n in federation.nodes
        ],
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return federation


def _seed_node(settings: Settings, nation: DemoNation, demo: DemoNode) -> Node:
    own = settings.model_copy(
        update={
            "data_dir": demo.data_dir,
            "database_url": None,
            "node_name": nation.node_name,
            "ledger_origin": None,
            "blob_dir": None,
            "blob_store": "local",
        }
    )
    node, operator = init_node(
        own,
        FirstOperator(
            username="ops",
            display_name=f"{nation.short_name} Node Operator",
            email=nation.operator_email,
            organisation=nation.organisation,
            nation=nation.nation,
        ),
    )
    accounts = seed_nation(nation, node.registry, node.people, node.projects, node.agreements)
    creds = {
        "note": "DEMO ONLY: these accounts and secrets are public. Never use in production.",
        "password": DEMO_PASSWORD,
        "operator": {
            "username": "ops",
            "password": operator.one_time_password,
            "totp_secret": operator.mfa.totp_secret,
        },
        "people": {
            name: {"totp_secret": a.mfa.totp_secret, "recovery_codes": list(a.mfa.recovery_codes)}
            for name, a in accounts.items()
        },
    }
    _write_private(demo.data_dir / CREDENTIALS, json.dumps(creds, indent=1).encode())
    return node


def _peer(at: Node, other: Node, where: DemoNode) -> None:
    """``at`` records ``other``'s descriptor and accepts it by its fingerprint."""
    nation = next(n for n in NATIONS if n.code == where.code)
    made = other.federation.descriptor(
        _SEED,
        name=nation.node_name,
        nation=nation.nation,
        organisation=nation.organisation,
        endpoint=where.url,
    )
    ctx = CallContext.cli()
    peer = at.federation.propose(_SEED, ctx, json.dumps(made.to_json()))
    at.federation.accept(_SEED, ctx, peer.id, made.fingerprint())


def _open(at: Node, other: DemoNation) -> None:
    """Who receives what ``at`` releases to ``other``'s node, how high, and under which
    agreement; and the project what ``other`` releases to ``at`` becomes artifacts of
    (the trials project, whose researchers then read it under ``at``'s policy)."""
    ctx = CallContext.cli()
    at.federation.set_recipient(
        _SEED, ctx, other.node_name, organisation=other.organisation, accredited="SECRET"
    )
    at.federation.set_agreements(_SEED, ctx, other.node_name, [AGREEMENT])
    at.federation.set_receiving_project(_SEED, ctx, other.node_name, PROJECT)


# --- the demo CA and the nodes' certificates ---------------------------------------------


def make_tls(federation: Federation) -> None:
    """A demo CA and, signed by it, a server certificate for 127.0.0.1 and localhost per
    node (private keys 0600)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Caveat federated demo CA (DEMO ONLY)")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls = federation.ca.parent
    _write_private(tls / "ca.key", _pem_key(ca_key))
    federation.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for node in federation.nodes:
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{node.name} (DEMO ONLY)"))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=CERT_DAYS))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(node.key, _pem_key(key))
        node.cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a file only this account may read (mode 0600 from creation)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
