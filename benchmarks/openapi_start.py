"""Time to first answer and memory of `mockserve run` on each corpus document.

Usage: python benchmarks/openapi_start.py [CORPUS_DIR] [--repeat N] [--synthetic OPS]
       [--only TEXT] [--no-import]   (run from the repository root)

Prints the machine's baseline (`python -c 'import flask'`), then one line per document:
seconds from process start to the first HTTP answer on a cold parse cache and again on a
warm one (a second start of the same document), and the server's resident memory (VmRSS,
VmHWM) once it answers. Each figure is the best of N runs (the machine may be shared).
Then a synthetic document of OPS operations (default 10,000; 0 skips it), and the time
`mockserve import` takes on the largest document.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(pid: int) -> tuple[int, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "MOCKSERVE_CACHE_DIR": str(cache)}


def measure(document: Path, cache: Path) -> tuple[float, int, int]:
    """Seconds to the first answer of `mockserve run DOCUMENT`, and its memory then."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserve", "run", str(document), "--port", str(port), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(cache),
    )
    try:
        deadline = started + 120
        while time.perf_counter() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            except urllib.error.HTTPError:
                break  # any HTTP answer (404 too) means it serves
            except OSError:
                if process.poll() is not None:
                    return float("nan"), 0, 0
                time.sleep(0.02)
                continue
            break
        took = time.perf_counter() - started
        rss, peak = memory(process.pid)
        return took, rss, peak
    finally:
        process.terminate()
        process.wait(10)


def best_start(document: Path, repeat: int) -> tuple[float, float, int, int]:
    """Best cold start (empty cache), best warm start (cache filled), memory of the warm one."""
    cold = warm = float("inf")
    rss = peak = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            cache = Path(folder)
            cold = min(cold, measure(document, cache)[0])
            took, rss, peak = measure(document, cache)
            warm = min(warm, took)
    return cold, warm, rss, peak


def flask_import(repeat: int) -> float:
    best = float("inf")
    for _ in range(max(repeat, 3)):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import flask"], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def synthetic_document(operations: int) -> dict[str, Any]:
    """A document shaped like the large real ones: shared models, parameters, examples."""
    schemas: dict[str, Any] = {
        "Node": {  # recursive, as many real models are
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            },
        }
    }
    for index in range(max(operations // 10, 1)):
        schemas[f"Model{index}"] = {
            "type": "object",
            "description": f"Model number {index}, with a few typed fields and a link.",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": {"type": "string", "minLength": 1, "maxLength": 40},
                "count": {"type": "integer", "minimum": 0, "maximum": 1000},
                "ratio": {"type": "number"},
                "state": {"type": "string", "enum": ["open", "closed", "merged"]},
                "created": {"type": "string", "format": "date-time"},
                "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z]+$"}},
                "owner": {"$ref": "#/components/schemas/Node"},
            },
        }
    paths: dict[str, Any] = {}
    methods = ("get", "post", "put", "delete", "patch")
    for index in range(operations):
        model = f"#/components/schemas/Model{index // 10}"
        path = f"/area{index // 50}/things{index // len(methods)}/{{thing_id}}"
        operation: dict[str, Any] = {
            "operationId": f"op{index}",
            "summary": f"Operation {index} on things of area {index // 50}",
            "parameters": [
                {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}},
                {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "the thing",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": model},
                            "example": {
                                "id": f"00000000-0000-4000-8000-{index:012d}",
                                "name": f"thing {index}",
                                "count": index % 1000,
                                "tags": ["alpha", "beta"],
                                "description": "An example body. " * 90,
                            },
                        }
                    },
                },
                "404": {"description": "no such thing"},
            },
        }
        method = methods[index % len(methods)]
        if method in ("post", "put", "patch"):
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": model}}},
            }
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": f"Synthetic, {operations} operations", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def time_import(document: Path, repeat: int) -> float:
    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "mockserve", "import", str(document), "-o", "spec.yaml"],
                cwd=folder,
                env=_env(Path(folder) / "cache"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
            )
            best = min(best, time.perf_counter() - started)
    return best


def find_corpus() -> Path | None:
    """shared/corpus/openapi beside the repository (or beside a folder above it)."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "corpus" / "openapi"
        if candidate.is_dir():
            return candidate
    return None


def _line(name: str, size: float, figures: tuple[float, float, int, int]) -> str:
    cold, warm, rss, peak = figures
    return f"{name:36s} {size:5.1f} {cold:9.2f}s {warm:9.2f}s {rss:7d} {peak:7d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--synthetic", type=int, default=10_000)
    parser.add_argument("--only", default="")
    parser.add_argument("--no-import", action="store_true")
    args = parser.parse_args()
    corpus = args.corpus or find_corpus()
    if corpus is None:
        sys.exit("shared/corpus/openapi not found; give its path")
    print(f"baseline: python -c 'import flask' {flask_import(args.repeat):.2f}s")
    print(f"{'document':36s} {'MB':>5s} {'cold start':>10s} {'warm start':>10s} ", end="")
    print(f"{'RSS MB':>7s} {'peak MB':>7s}")
    documents = sorted(p for p in corpus.glob("*.*") if p.suffix in (".json", ".yaml"))
    for document in documents:
        if args.only not in document.name:
            continue
        size = document.stat().st_size / 1e6
        print(_line(document.name, size, best_start(document, args.repeat)), flush=True)
    with tempfile.TemporaryDirectory() as folder:
        if args.synthetic:
            document = Path(folder) / f"synthetic-{args.synthetic}.json"
            document.write_text(json.dumps(synthetic_document(args.synthetic)))
            size = document.stat().st_size / 1e6
            print(_line(document.name, size, best_start(document, args.repeat)), flush=True)
    if not args.no_import and documents:
        largest = max(documents, key=lambda p: p.stat().st_size)
        print(f"mockserve import {largest.name}: {time_import(largest, args.repeat):.2f}s")


if __name__ == "__main__":
    main()
