"""Driving a server with wrk: fixed concurrency, requests from a file, parsed results."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bench.cpu import cores_used

THREADS, CONNECTIONS = 1, 32

LUA = r"""
local requests, i = {}, 0
failed = 0  -- a global: done() reads it through thread:get
init = function(args)
  for line in io.lines(args[1]) do
    local tab = line:find("\t")
    local token, body = line:sub(1, tab - 1), line:sub(tab + 1)
    local headers = {["Content-Type"] = "application/json"}
    if token ~= "" then headers["Authorization"] = "Bearer " .. token end
    requests[#requests + 1] = wrk.format("POST", "/graphql", headers, body)
  end
end
request = function()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
"""

CHECK = r"""
response = function(status, headers, body)
  if status ~= 200 or body:find('"errors":%[{') or body:find('"errors":%[%s*{') then
    failed = failed + 1
  end
end
local threads = {}
setup = function(thread) threads[#threads + 1] = thread end
done = function(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("failed") end
  io.write(string.format("FAILED %d\n", total))
end
"""


@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failed: int | None = None
    cores: dict[str, float] = field(default_factory=dict)  # bench.cpu: who used the CPU


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        sys.exit(
            "wrk is not installed: `sudo apt-get install -y wrk` (Debian/Ubuntu) or "
            "`brew install wrk` (macOS), then run `make bench` again."
        )
    return found


def request_file(path: Path, requests: list[tuple[str, str, dict[str, object]]]) -> Path:
    """Lines of `token<TAB>{"query": ..., "variables": ...}`."""
    with path.open("w") as out:
        for token, query, variables in requests:
            body = json.dumps({"query": query, "variables": variables}, separators=(",", ":"))
            out.write(f"{token}\t{body}\n")
    return path


def _millis(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run(
    url: str,
    requests: Path,
    seconds: float,
    *,
    check: bool = False,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> Run:
    script = requests.with_suffix(".lua")
    script.write_text(LUA + (CHECK if check else ""))
    command = [
        require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency",
        "-s", str(script), url, "--", str(requests),
    ]  # fmt: skip
    cores: dict[str, float] = {}
    with cores_used(cores):
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    settle(url)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _millis(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _millis(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"FAILED (\d+)", out)
    return Run(rps, p50, p99, total, int(failed.group(1)) if failed else None, cores)


def settle(url: str, seconds: float = 60) -> None:
    """Waits until the server has drained the requests wrk left in flight when it stopped:
    at a few requests per second, 32 abandoned ones are seconds of work that would
    otherwise be charged to the next run (a slow read made the next one look stalled)."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            httpx.post(url, json={"query": "{ __typename }"}, timeout=seconds)
        except httpx.HTTPError:
            return
        if time.monotonic() - started < 0.05:
            return
