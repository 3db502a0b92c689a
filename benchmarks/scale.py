"""S1-S3 of run.py with the shared store: one process, --store, --workers 2 --store, WireMock.

    python benchmarks/scale.py            # 5 s per measurement, about 2 minutes
    python benchmarks/scale.py --quick    # 2 s per measurement

Starts its own redis-server on a unix socket (apt-get install -y redis-server), then
measures, on the same machine, each target in turn: `mockserve run` in memory (the
default), with `--store`, with `--workers 2 --store`, and WireMock where java exists.
Also `--contention`: how a change under contention fares as a WATCH/MULTI transaction
(what the store does) and under a redis-py Lock (the alternative it did not take).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import run as bench  # noqa: E402  (benchmarks/run.py: targets, load driver, WireMock)


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server") or shutil.which("valkey-server")
    if binary is None:
        raise SystemExit("redis-server is missing: apt-get install -y redis-server")
    sock = folder / "redis.sock"
    process = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in process.stdout:  # type: ignore[union-attr]
        if "ready to accept connections" in line.lower():
            break
    return process, f"unix://{sock}"


def measure_targets(args: argparse.Namespace, work: Path, url: str) -> list[str]:
    driver = bench.Driver(None if args.python_load else bench.ensure_wrk(), args.duration, work)
    spec = HERE / "scenarios.yaml"
    starts = {
        "memory, 1 process": lambda: bench.mockserve_target(spec, work, "/static"),
        "--store, 1 process": lambda: bench.mockserve_target(
            spec, work, "/static", ["--store", url]
        ),
        "--store, --workers 2": lambda: bench.mockserve_target(
            spec, work, "/static", ["--store", url, "--workers", "2"]
        ),
    }
    jar = None if args.no_wiremock else bench.wiremock_jar()
    if jar is not None:
        starts["WireMock"] = lambda: bench.wiremock_target(
            jar, bench.wiremock_scenario_stubs(), work, "/static"
        )
    figures: dict[str, dict] = {name: {} for name in starts}
    targets = {}
    try:
        for name, start in starts.items():
            targets[name] = start()
        for _ in range(args.rounds):
            for label, request in bench.SCENARIOS.items():
                bench.measure(targets, driver, label, request, args.connections, figures)
    finally:
        for target in targets.values():
            target.stop()
    names = list(starts)
    lines = [
        "| scenario | " + " | ".join(names) + " |",
        "| --- |" + " --- |" * len(names),
    ]
    for label in bench.SCENARIOS:
        cells = [
            f"{figures[n][label].rps:,.0f} ({figures[n][label].p50_ms:.2f}/"
            f"{figures[n][label].p99_ms:.2f})"
            for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def contention(url: str, threads: int, changes: int = 50) -> list[str]:
    """`threads` clients each increment one state value `changes` times: ops/s, both ways."""
    import redis

    client = redis.Redis.from_url(url)
    sys.path.insert(0, str(HERE.parent))
    from mockserve.stores.redis import Connection, RedisState

    state = RedisState(Connection(client, url, "bench-watch"))

    def watched() -> None:
        for _ in range(changes):
            state.change(lambda values: ({"n": values.get("n", 0) + 1}, None))

    def locked() -> None:
        lock_client = redis.Redis.from_url(url)
        for _ in range(changes):
            with lock_client.lock("mockserve:bench-lock:lock", timeout=5, sleep=0.001):
                value = int(lock_client.get("mockserve:bench-lock:n") or 0)
                lock_client.set("mockserve:bench-lock:n", value + 1)

    lines = []
    for name, work in (("WATCH/MULTI (the store)", watched), ("redis-py Lock", locked)):
        client.flushall()
        started = time.perf_counter()
        pool = [threading.Thread(target=work) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        took = time.perf_counter() - started
        lines.append(
            f"| {name} | {threads} x {changes} | {threads * changes / took:,.0f} changes/s |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per measurement")
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--connections", "-c", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--no-wiremock", action="store_true")
    parser.add_argument("--python-load", action="store_true")
    parser.add_argument("--contention", action="store_true", help="only the change benchmark")
    args = parser.parse_args()
    if args.quick:
        args.duration = 2.0
    with tempfile.TemporaryDirectory(prefix="mockserve-scale-") as folder:
        redis_process, url = start_redis(Path(folder))
        try:
            if not args.contention:
                print("\n".join(measure_targets(args, Path(folder), url)))
            for threads in (1, 4, 16):
                print("\n".join(contention(url, threads)))
        finally:
            redis_process.terminate()
            redis_process.wait()


if __name__ == "__main__":
    main()
