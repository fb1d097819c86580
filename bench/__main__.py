"""`make bench`: Carepath beside a raw Starlette route (the floor) and a bare in-memory
strawberry app (the limit), driven by wrk at fixed concurrency, on SQLite and PostgreSQL;
then subscription fan-out and 2 workers against 1 on PostgreSQL + Redis.

Environment: BENCH_SECONDS (per run, default 5), BENCH_POSTGRES_URL (a server; the bench
creates and drops its own `carepath_bench` database there, default the local one),
REDIS_URL (default redis://127.0.0.1:6379/0), BENCH_PARTS (e.g. "sqlite,postgres,fanout,
workers"). Writes bench/results.json.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from bench import documents, fanout, report, scale, servers, wrk
from bench.databases import postgres_database, postgres_server, redis_url, sqlite_database
from bench.prepare import mutation_requests, prepared, token_of

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
RESULTS = Path(__file__).parent / "results.json"


def measure_database(label: str, database_url: str, scratch: Path) -> dict[str, Any]:
    print(f"\n== {label}: seeding and counting statements", flush=True)
    fixture, counts = prepared(database_url, scratch)
    rows: dict[str, Any] = {}
    reads = {
        name: wrk.request_file(scratch / f"{i}.txt", [(token_of(fixture, who), doc, {})])
        for i, (name, doc, who) in enumerate(documents.READS)
    }
    with servers.floor() as url:
        floor = wrk.run(url, reads["me"], SECONDS)
    print(f"floor (raw Starlette): {floor.rps:.0f} req/s", flush=True)
    with servers.limit(database_url) as url:
        limits = {name: wrk.run(url, path, SECONDS) for name, path in reads.items()}
    with servers.carepath(database_url, scratch) as url:
        for name, path in reads.items():
            run = wrk.run(url, path, SECONDS, check=True)
            rows[name] = report.row(run, floor, limits[name], counts[name])
            print(report.line(name, rows[name]), flush=True)
        for name, pool in mutation_requests(fixture).items():
            path = wrk.request_file(scratch / f"{name}.txt", pool)
            run = wrk.run(url, path, SECONDS, check=True)
            rows[name] = report.row(run, floor, None, counts[name])
            print(report.line(name, rows[name]), flush=True)
    return {"floor_rps": round(floor.rps), "rows": rows}


def main() -> None:
    wrk.require_wrk()
    parts = os.environ.get("BENCH_PARTS", "sqlite,postgres,fanout,workers").split(",")
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "wrk": f"-t{wrk.THREADS} -c{wrk.CONNECTIONS} -d{SECONDS:g}s",
    }
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        if "sqlite" in parts:
            results["sqlite"] = measure_database("SQLite", sqlite_database(scratch), scratch)
        server = postgres_server()
        if server and {"postgres", "fanout", "workers"} & set(parts):
            with postgres_database(server) as url:
                if "postgres" in parts:
                    results["postgres"] = measure_database("PostgreSQL", url, scratch)
            redis = redis_url()
            if redis and "fanout" in parts:
                with postgres_database(server) as url:
                    results["fanout"] = fanout.measure(url, redis, scratch)
            if redis and "workers" in parts:
                with postgres_database(server) as url:
                    results["workers"] = scale.measure(url, redis, scratch, SECONDS)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    report.print_tables(results)
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
