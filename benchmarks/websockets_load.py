"""1,000 open sockets, one message a second each, and the plain route's latency meanwhile.

    python benchmarks/websockets_load.py                 # 1000 sockets, 10 s of load
    python benchmarks/websockets_load.py --sockets 200 --seconds 5
    python benchmarks/websockets_load.py --url http://127.0.0.1:8000   # a mock already up

Serves benchmarks/websockets.yaml with `mockserve run` and, in the same run, the
hand-written Flask app of baseline_app.py on the same server (uvicorn) as the machine's
baseline. Then:

1. the plain route's latency alone (`GET /health`, one client, back to back), on both;
2. the sockets opened (all at once, as a page reload storm would), each sending
   `{"type": "ping"}` once a second (spread over the second) and timing its `pong`;
3. the plain route's latency again while they run.

Prints the sockets opened, the messages answered per second, their round trip (p50/p99),
the route's latency without and with the sockets (p50/p99) and the ratios, and the mock's
memory before and after. The load generator shares the machine's cores with the mock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from websockets.asyncio.client import connect

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import targets as bench  # noqa: E402  (benchmarks/targets.py: servers in processes of their own)

SPEC = HERE / "websockets.yaml"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def route_latency(url: str, seconds: float, stop: threading.Event | None = None) -> list[float]:
    """Milliseconds of each GET of `url`, back to back, for `seconds` (or until `stop`)."""
    session = requests.Session()
    timings = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        started = time.perf_counter()
        answer = session.get(url, timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
    return timings


class Load:
    """The sockets, each sending a ping a second (spread over the second) and timing its pong."""

    def __init__(self, url: str, sockets: int, seconds: float):
        self.url, self.sockets, self.seconds = url, sockets, seconds
        self.trips: list[float] = []
        self.open = 0
        self.all_open = threading.Event()
        self.done = threading.Event()
        self.elapsed = 0.0

    def run(self) -> None:
        try:
            asyncio.run(self._all())
        finally:
            self.all_open.set()
            self.done.set()

    async def _all(self) -> None:
        opened = asyncio.Event()
        tasks = [asyncio.create_task(self._one(i, opened)) for i in range(self.sockets)]
        await opened.wait()
        self.all_open.set()
        started = time.monotonic()
        await asyncio.gather(*tasks)
        self.elapsed = time.monotonic() - started

    async def _one(self, index: int, opened: asyncio.Event) -> None:
        async with connect(self.url, open_timeout=120, ping_interval=None) as socket:
            self.open += 1
            if self.open == self.sockets:
                opened.set()
            await opened.wait()
            loop = asyncio.get_running_loop()
            start = loop.time() + index / self.sockets  # spread over each second
            seq = 0
            while seq < self.seconds:
                await asyncio.sleep(max(0.0, start + seq - loop.time()))
                seq += 1
                sent = time.perf_counter()
                await socket.send(json.dumps({"type": "ping", "seq": seq}))
                answer = json.loads(await socket.recv())
                assert answer == {"type": "pong", "seq": seq}, answer
                self.trips.append((time.perf_counter() - sent) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10, help="of messages, once all are open")
    parser.add_argument("--url", help="a mock of benchmarks/websockets.yaml already serving")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mockserve-ws-bench-"))
    mock = None if args.url else bench.mockserve_target(SPEC, work, "/health")
    baseline = None
    try:
        baseline = bench.baseline_target(work, "/static")
        report(args, args.url.rstrip("/") if args.url else mock.url, mock, baseline.url)
    finally:  # whatever failed, no server is left running
        if baseline is not None:
            baseline.stop()
        if mock is not None:
            mock.stop()


def report(args: argparse.Namespace, url: str, mock: bench.Target | None, baseline: str) -> None:
    flask_alone = route_latency(baseline + "/static", 3)
    alone = route_latency(url + "/health", 3)
    memory_before = mock.rss_mb() if mock else float("nan")
    load = Load("ws" + url.removeprefix("http") + "/ws/ticker", args.sockets, args.seconds)
    thread = threading.Thread(target=load.run)
    began = time.monotonic()
    thread.start()
    load.all_open.wait()
    opening = time.monotonic() - began
    during = route_latency(url + "/health", args.seconds, load.done)
    memory_during = mock.rss_mb() if mock else float("nan")
    thread.join()
    trips = load.trips
    print(f"{load.open} sockets opened at once in {opening:.1f} s; each sends a message a second")
    print(
        f"messages answered: {len(trips)} in {load.elapsed:.1f} s "
        f"({len(trips) / max(load.elapsed, 1e-9):.0f}/s); round trip "
        f"p50 {percentile(trips, 0.5):.1f} ms, p99 {percentile(trips, 0.99):.1f} ms"
    )
    print("a plain route, one client back to back (ms):")
    rows = [
        ("Flask app (same server), no sockets", flask_alone),
        ("mockserve GET /health, no sockets", alone),
        (f"mockserve GET /health, {load.open} sockets", during),
    ]
    for name, timings in rows:
        print(
            f"  {name:<40} p50 {percentile(timings, 0.5):6.2f}  "
            f"p99 {percentile(timings, 0.99):7.2f}  ({len(timings)} requests)"
        )
    print(
        f"  with the sockets / without: p50 "
        f"{percentile(during, 0.5) / percentile(alone, 0.5):.2f}x, p99 "
        f"{percentile(during, 0.99) / percentile(alone, 0.99):.2f}x; mockserve / Flask app "
        f"without: p50 {percentile(alone, 0.5) / percentile(flask_alone, 0.5):.2f}x"
    )
    if mock is not None:
        print(f"mock's memory: {memory_before:.0f} MB; {memory_during:.0f} MB with the sockets")


if __name__ == "__main__":
    main()
