"""Time to the first GraphQL answer of `mockserve run` over a real schema, and per query.

Usage: python benchmarks/graphql_start.py [CORPUS_DIR] [--repeat N]   (from the repository root)

CORPUS_DIR defaults to shared/corpus/graphql beside or above the repository. Prints the
machine's baseline (`python -c 'import flask'`), then for each schema (GitHub's 1 MB SDL,
SWAPI's 36 KB): seconds from process start to the first answer of a query on an empty
cache (cold) and again with the cache filled (warm: a valid SDL is noted, so its SDL rules
are not run again), then the median time of an ordinary query and of the introspection
query once serving (the first introspection builds the answer, later ones are kept), with
each start also as a ratio to the baseline. Each start figure is the best of N runs (the
machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = {
    "github": '{ repository(owner: "o", name: "n") { name stargazerCount issues(first: 5) '
    "{ nodes { title author { login } } } } }",
    "swapi": "{ allFilms { films { title director "
    "characterConnection { characters { name } } } } }",
}


def find_corpus() -> Path:
    for folder in (ROOT, *ROOT.parents):
        candidate = folder / "shared" / "corpus" / "graphql"
        if candidate.is_dir():
            return candidate
    raise SystemExit("shared/corpus/graphql not found: give CORPUS_DIR")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, query: str) -> dict:
    data = json.dumps({"query": query}).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


class Served:
    """`mockserve run` over one schema, in a process of its own."""

    def __init__(self, folder: Path, cache: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MOCKSERVE_CACHE_DIR": str(cache)}
        command = [sys.executable, "-m", "mockserve", "run", str(folder / "spec.yaml")]
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port), "-q"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )

    def first_answer(self, query: str) -> float:
        deadline = self.started + 60
        while time.perf_counter() < deadline:
            try:
                body = post(self.url, query)
            except (OSError, urllib.error.HTTPError):
                if self.process.poll() is not None:
                    raise SystemExit("mockserve run stopped before answering") from None
                time.sleep(0.01)
                continue
            assert "errors" not in body, body
            return time.perf_counter() - self.started
        raise SystemExit("no answer within 60 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def timed(url: str, query: str, count: int) -> float:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        post(url, query)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def flask_import(repeat: int) -> float:
    best = float("inf")
    for _ in range(max(repeat, 3)):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import flask"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = args.corpus or find_corpus()
    from graphql import get_introspection_query

    baseline = flask_import(args.repeat)
    print(f"baseline: python -c 'import flask': {baseline:.2f} s (x: start / baseline)")
    print(
        f"{'schema':8} {'cold s':>7} {'x':>5} {'warm s':>7} {'x':>5} {'query ms':>9} "
        f"{'introspection ms':>17}"
    )
    for name, query in QUERIES.items():
        with tempfile.TemporaryDirectory() as temp:
            folder = Path(temp)
            shutil.copy(corpus / f"{name}.graphql", folder / "schema.graphql")
            (folder / "spec.yaml").write_text(
                "mockserve: 1\nsettings: {seed: 1}\n"
                "graphql: {path: /graphql, schema: schema.graphql}\n"
            )
            cold = warm = float("inf")
            for _ in range(args.repeat):
                cache = folder / "cache"
                shutil.rmtree(cache, ignore_errors=True)
                for which in ("cold", "warm"):
                    served = Served(folder, cache)
                    try:
                        took = served.first_answer(query)
                        if which == "cold":
                            cold = min(cold, took)
                        else:
                            warm = min(warm, took)
                            per_query = timed(served.url, query, 50)
                            introspection = timed(served.url, get_introspection_query(), 5)
                    finally:
                        served.stop()
        print(
            f"{name:8} {cold:7.2f} {cold / baseline:5.1f} {warm:7.2f} {warm / baseline:5.1f} "
            f"{per_query * 1000:9.1f} {introspection * 1000:17.0f}"
        )


if __name__ == "__main__":
    main()
