"""Two nodes over real TLS on loopback: a partner node in its own process (`caveat serve
--tls-cert --tls-key`, its own data directory and database), peered with ours through
its CLI; our node says hello over HTTPS, checking the partner's certificate against a CA
the operator names, and a client that does not trust that CA cannot talk to it."""

from __future__ import annotations

import ipaddress
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.bootstrap.container import Node
from caveat.domain.errors import ServiceUnavailable
from caveat.services.federation import FederationService
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import HttpWitnessTransport, WitnessService
from tests.federation.support import linked
from tests.support import caveat_cli, caveat_env, die_with_parent, free_port

# The subject is the transport between two processes, the same whatever the database:
# run on SQLite only (each starts processes, a minute of CI on PostgreSQL).
pytestmark = pytest.mark.one_database

CONSOLE = ConsoleOperator()


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1 it signed: (ca, cert, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Caveat test CA"))
        .issuer_name(_name("Caveat test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
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
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(_pem(key))
    paths[2].chmod(0o600)
    return paths


@dataclass
class Partner:
    url: str
    ca: Path
    node_id: str


@pytest.fixture
def partner(tmp_path: Path, node: Node) -> Iterator[Partner]:
    """A partner node serving HTTPS on a free port, peered with ours both ways."""
    data = tmp_path / "partner"
    ca, cert, key = make_tls(tmp_path)
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    caveat_cli(data, "init", "--nation", "FRA", "--node-name", "partner-node", "--json")
    made = json.loads(
        caveat_cli(
            data,
            *("federation", "descriptor", "--name", "node-fra", "--nation", "FRA"),
            *("--organisation", "ONERA", "--endpoint", url, "--json"),
        )
    )
    ctx = CallContext.cli()
    peer = node.federation.propose(CONSOLE, ctx, json.dumps(made["descriptor"]))
    node.federation.accept(CONSOLE, ctx, peer.id, made["fingerprint"])
    ours = node.federation.descriptor(
        CONSOLE, name="node-gbr", nation="GBR", organisation="DSTL", endpoint="https://a.example"
    )
    (tmp_path / "ours.json").write_text(json.dumps(ours.to_json()), encoding="utf-8")
    caveat_cli(data, "federation", "propose", str(tmp_path / "ours.json"))
    caveat_cli(data, "federation", "accept", "node-gbr", "--fingerprint", ours.fingerprint())
    log = (tmp_path / "partner.log").open("wb")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "caveat", "--data-dir", str(data), "serve"),
            *("--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key)),
        ],
        env=caveat_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    trusting = ssl.create_default_context(cafile=str(ca))
    try:
        # Up to a minute: on a loaded CI machine a fresh interpreter takes its time.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2, verify=trusting).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            server.kill()
            server.wait(timeout=10)
            pytest.fail(f"the partner did not start: {(tmp_path / 'partner.log').read_text()}")
        yield Partner(url=url, ca=ca, node_id=made["descriptor"]["node_id"])
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def _link(node: Node, transport: HttpPeerTransport) -> FederationService:
    return linked(node, transport)


# One partner process serves every check below: starting it (its CLI setup and
# `caveat serve`) is most of the cost, so the steps share it.


def test_a_partner_process_over_real_tls(node: Node, partner: Partner) -> None:
    _hello_over_tls(node, partner)
    _a_certificate_nobody_vouched_for_is_refused(node)
    _the_partner_cosigns_our_checkpoint_over_tls(node, partner)


def _hello_over_tls(node: Node, partner: Partner) -> None:
    transport = HttpPeerTransport(ca_bundle=str(partner.ca))
    answer = _link(node, transport).hello(CONSOLE, "node-fra")
    transport.close()
    assert answer.node_id == partner.node_id
    assert answer.name == "partner-node"
    assert answer.you_are == "node-gbr"
    assert answer.checkpoint.startswith("partner-node\n")
    # The served app answers the protocol in problem+json, never the web's error page.
    trusting = ssl.create_default_context(cafile=str(partner.ca))
    unsigned = httpx.get(f"{partner.url}/federation/v1/hello", verify=trusting, timeout=5)
    assert unsigned.status_code == 401
    assert unsigned.headers["content-type"].startswith("application/problem+json")
    assert unsigned.json()["code"] == "peer_request_refused"


def _a_certificate_nobody_vouched_for_is_refused(node: Node) -> None:
    transport = HttpPeerTransport(timeout=5.0)
    with pytest.raises(ServiceUnavailable) as refused:
        _link(node, transport).hello(CONSOLE, "node-fra")
    transport.close()
    assert refused.value.code == "peer_unavailable"
    assert "ConnectError" in str(refused.value)


def _the_partner_cosigns_our_checkpoint_over_tls(node: Node, partner: Partner) -> None:
    """Peering made the partner a witness of our log (and us of its): it cosigns."""

    def asking(transport: HttpWitnessTransport) -> WitnessService:
        return WitnessService(
            uow=node.uow,
            ledger=node.ledger,
            monitoring=node.monitoring,
            transport=transport,
            clock=node.uow.clock,
        )

    [outcome] = asking(HttpWitnessTransport(ca_bundle=str(partner.ca))).request_cosignatures(
        CONSOLE, CallContext.cli()
    )
    assert outcome.status == "cosigned", outcome
    [refused] = asking(HttpWitnessTransport(timeout=5.0)).request_cosignatures(
        CONSOLE, CallContext.cli()
    )
    assert refused.status == "unreachable"  # a certificate nobody vouched for
