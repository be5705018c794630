"""Run every benchmark and print one summary (make bench). Results: benchmarks/results/."""

from __future__ import annotations

import json
import os

from benchmarks import (
    argon2_cost,
    artifacts,
    auth_overhead,
    channels,
    cli_startup,
    compliance,
    http_me,
    ledger,
    load,
    plans,
    policy,
    proficiency,
    screening,
    taxii,
    web_list,
)


def main() -> None:
    postgres = os.environ.get("CAVEAT_BENCH_POSTGRES_URL")
    results = {
        "argon2_cost": argon2_cost.run(),
        "auth_overhead": auth_overhead.run(postgres),
        "http_me": http_me.run(),
        "cli_startup": cli_startup.run(),  # fresh processes: wants a quiet machine
        "ledger": ledger.run(postgres),
        "screening": screening.run(),
        "proficiency": proficiency.run(),
        "policy": policy.run(postgres),
        "artifacts": artifacts.run(postgres),
        "compliance": compliance.run(postgres),
        "web_list": web_list.run(postgres),
        "plans": plans.run(postgres),  # populates 1M rows per database: minutes
        "taxii": taxii.run(postgres),  # 100,000 STIX objects beside medallion: minutes
        "channels": channels.run(os.environ.get("CAVEAT_BENCH_NATS_URL")),  # 1,000 readers
        "load": load.run(postgres),  # three configurations of CAVEAT_BENCH_LOAD_SECONDS each
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
