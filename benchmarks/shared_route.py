"""A route many operations share (the AWS query protocol's `/#Action=X`): time per request.

    python benchmarks/shared_route.py [--operations 600] [--requests 300]

Builds a document of N operations at `/`, each told apart by `Action` (as ec2's are),
serves it in-process (Flask's test client: no network, the app's own work only) and
times GET `/?Action=...` for random actions: with the one-lookup choice, and with it
turned off (every `when` tried in turn, as before), plus the first request (which
converts and compiles the shared route). The baseline, in the same run: a document of
one plain operation. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mockserve import create_app  # noqa: E402
from mockserve.loading import load_spec  # noqa: E402
from mockserve.spec import selection  # noqa: E402


def document(actions: list[str]) -> dict:
    paths = {}
    for name in actions:
        answer = {"content": {"application/json": {"example": {"operation": name}}}}
        parameter = {"name": "Action", "in": "query", "required": True,
                     "schema": {"type": "string", "enum": [name]}}  # fmt: skip
        paths[f"/#Action={name}"] = {
            "get": {"parameters": [parameter], "responses": {"200": answer}}
        }
    return {"openapi": "3.0.3", "info": {"title": "shared", "version": "1"}, "paths": paths}


def timings(path: Path, targets: list[str]) -> tuple[float, list[float]]:
    """The first request's time, then each later one's (seconds)."""
    client = create_app(load_spec(path, lazy=True)).test_client()
    started = time.perf_counter()
    assert client.get(targets[0]).status_code == 200
    first = time.perf_counter() - started
    times = []
    for target in targets:
        started = time.perf_counter()
        answer = client.get(target)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.get_data(as_text=True)[:200]
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=600)
    parser.add_argument("--requests", type=int, default=300)
    options = parser.parse_args()
    actions = [f"Action{n:04d}" for n in range(options.operations)]
    rng = random.Random(0)
    targets = [f"/?Action={rng.choice(actions)}" for _ in range(options.requests)]
    folder = Path(tempfile.mkdtemp())
    shared, plain = folder / "shared.json", folder / "plain.json"
    shared.write_text(json.dumps(document(actions)))
    plain.write_text(json.dumps(document(actions[:1])))

    _, baseline = timings(plain, ["/?Action=Action0000"] * options.requests)
    first, lookup = timings(shared, targets)
    selection.SMALLEST = 10**9  # every `when` tried in turn
    first_scan, scan = timings(shared, targets)

    def ms(values: list[float]) -> str:
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        return f"median {statistics.median(ordered) * 1000:7.2f} ms, p90 {p90 * 1000:7.2f} ms"

    base = statistics.median(baseline)
    print(f"baseline (one plain operation):      {ms(baseline)}")
    print(
        f"{options.operations} operations, one lookup:      {ms(lookup)}  "
        f"({statistics.median(lookup) / base:.1f}x baseline); first request {first:.2f} s"
    )
    print(
        f"{options.operations} operations, tried in turn:   {ms(scan)}  "
        f"({statistics.median(scan) / base:.1f}x baseline); first request {first_scan:.2f} s"
    )


if __name__ == "__main__":
    main()
