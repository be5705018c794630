"""`caveat demo --federation`: seed (first time) three peered demo nodes and serve them,
one `caveat serve` process each, until Ctrl-C or SIGTERM stops all three."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import TYPE_CHECKING

from caveat.cli.output import errors, out, table

if TYPE_CHECKING:
    from caveat.bootstrap.demo_federation import Federation
    from caveat.bootstrap.settings import Settings

START_SECONDS = 60.0  # a fresh interpreter on a loaded machine takes its time
# A node serving TLS waits up to 30 s (asyncio's TLS shutdown) for a client, such as a
# browser, holding a keep-alive connection: then a node still running is killed.
STOP_SECONDS = 40.0


def run(settings: Settings, *, base_port: int, serve: bool) -> None:
    from caveat.bootstrap import demo_federation as demo

    root = settings.data_dir
    with errors(False):
        federation = demo.load(root)
        if federation is None:
            out.print(f"creating three demo nodes (USA, GBR, FRA) in {root} ...")
            federation = demo.seed(settings, root, base_port=base_port)
        else:
            out.print(f"using the existing federated demo in {root}")
            if federation.nodes[0].port != base_port:
                out.print(
                    f"[yellow]note:[/] its peerings name ports {federation.nodes[0].port}-"
                    f"{federation.nodes[-1].port}, so it serves there (a new --base-port "
                    "needs a new data directory)"
                )
        _print_logins(federation)
    if serve:
        serve_all(federation)


def _print_logins(federation: Federation) -> None:
    from caveat.bootstrap import demo_federation as demo
    from caveat.services.demo_federation import DEMO_PASSWORD, NATIONS

    rows = []
    for nation, node in zip(NATIONS, federation.nodes, strict=True):
        creds = demo.credentials(node)
        rows += [(node.url, p.username, f"{p.display_name}, {nation.short_name}: {p.note}")
                 for p in nation.people]  # fmt: skip
        rows.append(
            (node.url, "ops", f"node operator, one-time password {creds['operator']['password']}")
        )
    table(
        f"Federated demo logins (password for all: {DEMO_PASSWORD})",
        ["node", "username", "who"],
        rows,
    )
    out.print(
        f"TOTP code:   [bold]caveat --data-dir {federation.root}/NODE demo code USERNAME[/] "
        "(NODE: usa, gbr or fra)"
    )
    out.print(
        f"Browsers:    the nodes' certificates come from the demo CA {federation.ca}; trust it "
        "for the demo, or accept the browser's warning once per node"
    )
    out.print(
        "Try it:      sign in to the USA node as victor, open Partners and release "
        "'Joint trial plan, range week 14' to gbr-node; within seconds it is listed on the "
        "GBR node's Partners page for hugh, and bob (a GBR researcher) opens it among the "
        "artifacts of 'Tri-national Sensor Trials' (docs/operator-guide.md, 'The federated "
        "demo')"
    )


def serve_all(federation: Federation) -> None:
    """Start the three nodes, wait until each answers over HTTPS, then wait for Ctrl-C,
    SIGTERM or a node's end; every node is stopped before this returns."""
    env = federation.serve_env(dict(os.environ))
    started: list[subprocess.Popen[bytes]] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for node in federation.nodes:
            started.append(
                subprocess.Popen(  # noqa: S603 - this interpreter, the demo's own nodes
                    federation.serve_command(node),
                    env=env,
                    preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                )
            )
        _wait_ready(federation, started)
        out.print("[bold green]three nodes up:[/] " + ", ".join(
            f"{n.nation} {n.url}" for n in federation.nodes))  # fmt: skip
        out.print("Ctrl-C stops all three.")
        _watch(federation, started)
    except KeyboardInterrupt:
        out.print("stopping the three nodes (up to 30 s while browsers hold connections) ...")
    finally:
        _stop(started)
        signal.signal(signal.SIGTERM, previous)


def _watch(federation: Federation, started: list[subprocess.Popen[bytes]]) -> None:
    """Until every node has ended: a node that ends is reported, the others keep
    running (a partner node down is part of the demo; its packages wait)."""
    ended: set[int] = set()
    while len(ended) < len(started):
        for i, (node, process) in enumerate(zip(federation.nodes, started, strict=True)):
            if i not in ended and process.poll() is not None:
                ended.add(i)
                out.print(
                    f"[yellow]the {node.nation} node stopped (exit {process.returncode})[/]; "
                    "the others keep running until Ctrl-C"
                )
        time.sleep(0.5)


def _wait_ready(federation: Federation, started: list[subprocess.Popen[bytes]]) -> None:
    import ssl

    import httpx

    trusting = ssl.create_default_context(cafile=str(federation.ca))
    deadline = time.monotonic() + START_SECONDS
    for node, process in zip(federation.nodes, started, strict=True):
        while True:
            if process.poll() is not None:
                raise SystemExit(
                    f"the {node.nation} node did not start (exit {process.returncode})"
                )
            try:
                if httpx.get(f"{node.url}/healthz", verify=trusting, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the {node.nation} node did not answer at {node.url}")
            time.sleep(0.2)


def _stop(started: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to each node still running, then SIGKILL after ``STOP_SECONDS``."""
    for process in started:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in started:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _die_with_parent() -> None:
    """In each node's process: the kernel sends it SIGTERM when the demo's process dies,
    also when that is killed outright and no ``finally`` runs (no orphaned nodes)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
