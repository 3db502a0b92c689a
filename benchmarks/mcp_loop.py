"""How long the MCP server's agent loop takes, beside baselines measured in the same run.

    python benchmarks/mcp_loop.py [--rounds N]

- start: `mockserve mcp SPEC` spawned and initialized by the SDK's stdio client, against
  spawning `python -c "import flask"` (the floor of any Python mock server's start);
- a tool call's round trip (list_routes, explain_request, get_journal), against the same
  work done in this process without MCP (loading the spec; a request to a fresh app);
- an edit until the mock serves it: update_route, then the first answer of the running
  mock that has the new text, against loading the spec once in this process.

Medians of `--rounds` runs; the figures depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import requests
from mcp import ClientSession, StdioServerParameters, stdio_client

from mockserve.loading import load_spec
from mockserve.mcp.explain import explain

SPEC = """\
mockserve: 1
title: Bench
routes:
  - name: get-user
    path: /users/{id:int}
    response:
      json: {id: "{{ path.id }}", name: Ann}
""" + "".join(f"  - path: /filler/{i}\n    response: {{text: f{i}}}\n" for i in range(50))


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def spawn_baseline(rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import flask"], check=True)
        samples.append(time.perf_counter() - start)
    return median_ms(samples)


async def session_figures(spec: Path, rounds: int) -> dict[str, float]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "mockserve", "mcp", str(spec)], cwd=spec.parent
    )
    figures: dict[str, float] = {}
    starts = []
    for _ in range(max(rounds // 4, 3)):
        start = time.perf_counter()
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            starts.append(time.perf_counter() - start)
    figures["start: spawn + initialize"] = median_ms(starts)

    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()

        async def timed(tool: str, arguments: dict) -> float:
            samples = []
            for _ in range(rounds):
                start = time.perf_counter()
                result = await session.call_tool(tool, arguments)
                samples.append(time.perf_counter() - start)
                assert not result.is_error, result.content
            return median_ms(samples)

        figures["list_routes"] = await timed("list_routes", {})
        request = {"method": "GET", "path": "/users/7"}
        figures["explain_request"] = await timed("explain_request", request)
        started = await session.call_tool("start_mock", {})
        url = json.loads(started.content[0].text)["url"]
        figures["get_journal"] = await timed("get_journal", {})
        edits = []
        for n in range(rounds):
            route = {"path": "/users/{id:int}", "response": {"json": {"edit": n}}}
            start = time.perf_counter()
            result = await session.call_tool("update_route", {"name": "get-user", "route": route})
            assert not result.is_error, result.content
            answer = await anyio.to_thread.run_sync(requests.get, url + "/users/1")
            edits.append(time.perf_counter() - start)
            assert answer.json() == {"edit": n}
        figures["update_route until the mock answers it"] = median_ms(edits)
    return figures


def in_process(spec: Path, rounds: int) -> dict[str, float]:
    loads, explains = [], []
    loaded = load_spec(spec)
    for _ in range(rounds):
        start = time.perf_counter()
        load_spec(spec)
        loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        explain(loaded, "GET", "/users/7", None, None, None)
        explains.append(time.perf_counter() - start)
    return {"load_spec in process": median_ms(loads), "explain in process": median_ms(explains)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "bench.yaml"
        spec.write_text(SPEC)
        figures = {"baseline: spawn python -c 'import flask'": spawn_baseline(rounds // 4 or 1)}
        figures.update(in_process(spec, rounds))
        figures.update(anyio.run(session_figures, spec, rounds))
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value:8.1f} ms")


if __name__ == "__main__":
    main()
