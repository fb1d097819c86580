"""Rows and tables: requests/s, p50, p99, statements, % of the floor and of the limit."""

from __future__ import annotations

from typing import Any

from bench.wrk import Run


def row(run: Run, floor: Run, limit: Run | None, counts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rps": round(run.rps, 1),
        "p50_ms": run.p50_ms,
        "p99_ms": run.p99_ms,
        "failed": run.failed,
        "statements": counts["statements"],
        "pct_floor": round(100 * run.rps / floor.rps, 1),
    }
    if "page_5" in counts:
        out["statements_page_5_50"] = [counts["page_5"], counts["page_50"]]
    if limit is not None:
        out["limit_rps"] = round(limit.rps, 1)
        out["limit_pct_floor"] = round(100 * limit.rps / floor.rps, 1)
        out["pct_limit"] = round(100 * run.rps / limit.rps, 1)
    return out


def line(name: str, r: dict[str, Any]) -> str:
    pages = r.get("statements_page_5_50")
    growth = f"{pages[0]}->{pages[1]}" if pages else "-"
    limit = f"{r['pct_limit']:5.1f}% of limit" if "pct_limit" in r else ""
    failed = f"  FAILED {r['failed']}" if r.get("failed") else ""
    return (
        f"{name:<44} {r['rps']:7.0f} req/s  p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms"
        f"  sql {r['statements']:>2} ({growth:>7})  {r['pct_floor']:5.1f}% of floor  {limit}{failed}"
    )


def print_tables(results: dict[str, Any]) -> None:
    for label in ("sqlite", "postgres"):
        if label not in results:
            continue
        data = results[label]
        print(f"\n### {label} (floor {data['floor_rps']} req/s, wrk {results['wrk']})\n")
        print(
            "| request | req/s | p50 ms | p99 ms | SQL/request (page 5 -> 50) | % of floor "
            "| limit % of floor | % of limit |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for name, r in data["rows"].items():
            pages = r.get("statements_page_5_50")
            growth = (
                f"{r['statements']} ({pages[0]} -> {pages[1]})" if pages else str(r["statements"])
            )
            print(
                f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {growth} "
                f"| {r['pct_floor']}% | {r.get('limit_pct_floor', '-')}% | {r.get('pct_limit', '-')}% |"
            )
    if "fanout" in results:
        f = results["fanout"]
        print(
            f"\n### subscription fan-out: {f['subscribers']} subscribers, {f['messages']} "
            f"messages: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms, lost {f['lost']}"
        )
    if "workers" in results:
        w = results["workers"]
        print("\n### workers (PostgreSQL + Redis)\n")
        for name, r in w["reads"].items():
            print(
                f"{name:<44} 1 worker {r['1']:7.0f} req/s   2 workers {r['2']:7.0f} req/s   "
                f"x{r['ratio']:.2f}"
            )
