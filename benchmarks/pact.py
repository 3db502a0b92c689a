"""Pact figures, measured against baselines in the same run (not part of the test suite).

    python benchmarks/pact.py [--seconds S] [--interactions N]

1. The Pact matcher: one request (a JSON body with type, integer and regex rules)
   against its interaction, in microseconds; beside it, in the same process, parsing
   that body with `json.loads` and checking it with the JSON Schema validator a spec
   route's contract uses (what the matcher replaces for a served pact).
2. Serving: requests per second from one keep-alive client for a served pact of N
   interactions (the request matches the last one, so every interaction is tried) and
   for the same answers written as a mockserve spec, served the same way.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from jsonschema import Draft202012Validator

from mockserve import MockServer
from mockserve.pact.matching import match_request
from mockserve.pact.parts import read_request

BODY = {"sku": "A1", "qty": 2, "lines": [{"id": 1, "note": "gift"}, {"id": 2, "note": "x"}]}
RULES = {
    "body": {
        "$.sku": {"matchers": [{"match": "regex", "regex": "[A-Z][0-9]+"}]},
        "$.qty": {"matchers": [{"match": "integer"}]},
        "$.lines": {"matchers": [{"match": "type", "min": 1}]},
    }
}
SCHEMA = {
    "type": "object",
    "required": ["sku", "qty", "lines"],
    "properties": {
        "sku": {"type": "string", "pattern": "^[A-Z][0-9]+$"},
        "qty": {"type": "integer"},
        "lines": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "note": {"type": "string"}},
            },
        },
    },
}


def per_call(function: Any, seconds: float) -> float:
    """Microseconds per call, the best of three runs of `seconds` / 3."""
    best = float("inf")
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            for _ in range(100):
                function()
            count += 100
        best = min(best, (time.perf_counter() - start) / count * 1e6)
    return best


def matcher_figures(seconds: float) -> dict[str, float]:
    part = {
        "method": "POST",
        "path": "/orders",
        "headers": {"Content-Type": "application/json"},
        "body": {"content": BODY, "contentType": "application/json"},
    }
    expected = read_request({**part, "matchingRules": RULES}, 4)
    actual = read_request(part, 4)
    raw = json.dumps(BODY).encode()
    validator = Draft202012Validator(SCHEMA)
    assert match_request(expected, actual, 4) == []
    return {
        "pact match (us)": per_call(lambda: match_request(expected, actual, 4), seconds),
        "json.loads (us)": per_call(lambda: json.loads(raw), seconds),
        "json.loads + JSON Schema (us)": per_call(
            lambda: validator.is_valid(json.loads(raw)), seconds
        ),
    }


def _pact(count: int) -> dict[str, Any]:
    interactions = [
        {
            "type": "Synchronous/HTTP",
            "description": f"order {i}",
            "request": {"method": "GET", "path": f"/orders/{i}"},
            "response": {
                "status": 200,
                "headers": {"Content-Type": ["application/json"]},
                "body": {"content": {"id": i, "status": "open"}},
            },
        }
        for i in range(count)
    ]
    return {
        "consumer": {"name": "bench"},
        "provider": {"name": "orders"},
        "interactions": interactions,
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


def _spec(count: int) -> str:
    routes = "".join(
        f"  - name: order-{i}\n    path: /orders/{i}\n"
        f"    response:\n      json: {{id: {i}, status: open}}\n"
        for i in range(count)
    )
    return f"mockserve: 1\ntitle: orders\nroutes:\n{routes}"


def requests_per_second(path: Path, target: str, seconds: float) -> float:
    with MockServer(path) as server, requests.Session() as session:
        url = server.url + target
        for _ in range(50):  # warm-up
            session.get(url, timeout=10).raise_for_status()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            session.get(url, timeout=10).raise_for_status()
            count += 1
        return count / (time.perf_counter() - start)


def serving_figures(count: int, seconds: float) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp())
    pact, spec = folder / "bench.json", folder / "bench.yaml"
    pact.write_text(json.dumps(_pact(count)))
    spec.write_text(_spec(count))
    last = f"/orders/{count - 1}"
    return {
        f"pact, {count} interactions (req/s)": requests_per_second(pact, last, seconds),
        f"spec, {count} routes (req/s)": requests_per_second(spec, last, seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--interactions", type=int, default=50)
    args = parser.parse_args()
    figures = {**matcher_figures(args.seconds), **serving_figures(args.interactions, args.seconds)}
    for name, value in figures.items():
        print(f"{name:40} {value:10.1f}")
    names = list(figures)
    print(
        f"{'match / (json.loads + JSON Schema)':40} {figures[names[0]] / figures[names[2]]:10.2f}"
    )
    print(f"{'pact / spec (req/s)':40} {figures[names[3]] / figures[names[4]]:10.2f}")


if __name__ == "__main__":
    main()
