"""2 uvicorn workers against 1 on PostgreSQL + Redis, for the reads (wrk -t2 -c64)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import documents, servers, wrk
from bench.prepare import prepared, token_of


def measure(database_url: str, redis_url: str, scratch: Path, seconds: float) -> dict[str, Any]:
    print("\n== workers: 1 against 2 on PostgreSQL + Redis", flush=True)
    fixture, _ = prepared(database_url, scratch)
    reads = {
        name: wrk.request_file(scratch / f"scale{i}.txt", [(token_of(fixture, who), doc, {})])
        for i, (name, doc, who) in enumerate(documents.READS)
    }
    found: dict[str, dict[str, Any]] = {name: {} for name in reads}
    for workers in (1, 2):
        with servers.carepath(database_url, scratch, workers, redis_url) as url:
            for name, path in reads.items():
                wrk.run(url, path, 1, connections=64, threads=2)  # every worker warm
                run = wrk.run(url, path, seconds, connections=64, threads=2, check=True)
                found[name][str(workers)] = round(run.rps, 1)
                found[name][f"cores_{workers}"] = run.cores
    for name, r in found.items():
        r["ratio"] = round(r["2"] / r["1"], 2)
        print(
            f"{name:<44} 1 worker {r['1']:7.0f} req/s   2 workers {r['2']:7.0f} req/s   x{r['ratio']:.2f}"
        )
        print(f"{'':<44} cores used, 1 worker {r['cores_1']}; 2 workers {r['cores_2']}")
    return {"wrk": f"-t2 -c64 -d{seconds:g}s", "reads": found}
