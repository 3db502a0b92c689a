"""Streams: events per second on one stream, 100 open streams held, a plain route meanwhile.

    python benchmarks/streams.py [--events 20000] [--streams 100] [--requests 300] [--hold 3]

Serves benchmarks/streams.yaml with `mockserve run -q` and, as the baseline, the same
three routes written by hand as a raw ASGI app on the same server (uvicorn), each in a
process of its own; this process is the client (raw sockets, so the client's
own cost stays small and equal for both). Prints a table and the machine's baseline
(`python -c 'import flask'`). Not part of the test suite: a figure, not a verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable


# -- the baseline: the same routes by hand, on the same server -------------------------


async def baseline_app(scope, receive, send):
    """`/firehose` (events as fast as they go), `/ticker` (one a second), `/plain`: a
    hand-written ASGI app, the floor of what uvicorn (mockserve's server) can do."""
    import asyncio

    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/plain":
        body = b'{"ok":true}'
        headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def client_left():
        while (await receive())["type"] != "http.disconnect":
            pass

    left = asyncio.ensure_future(client_left())
    n = 0
    while not left.done():
        if path == "/ticker":
            await asyncio.wait((left,), timeout=1)
            if left.done():
                break
        else:
            await asyncio.sleep(0)
        await send(
            {"type": "http.response.body", "body": b'data: {"n":%d}\n\n' % n, "more_body": True}
        )
        n += 1
    left.cancel()


def serve_baseline(port: int) -> None:
    import uvicorn

    uvicorn.run(baseline_app, host="127.0.0.1", port=port, log_level="error", lifespan="off")


# -- the client -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{command} did not listen on {port}")


def open_stream(port: int, path: str) -> socket.socket:
    """A GET whose answer is read as it comes; returns once the headers arrived."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    return connection


def events_per_second(port: int, count: int) -> float:
    """Events of one stream read per second (the `data:` lines counted as they arrive)."""
    connection = open_stream(port, "/firehose")
    warm = 0
    while warm < 1000:  # the route compiled, the buffers grown
        warm += connection.recv(1 << 20).count(b"data: ")
    seen = 0
    began = time.perf_counter()
    while seen < count:
        seen += connection.recv(1 << 20).count(b"data: ")
    took = time.perf_counter() - began
    connection.close()
    return seen / took


def plain_latencies(port: int, requests: int) -> list[float]:
    """Milliseconds each of `requests` GET /plain took, one after another on a connection."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    request = b"GET /plain HTTP/1.1\r\nHost: bench\r\n\r\n"
    took = []
    for _ in range(requests):
        began = time.perf_counter()
        connection.sendall(request)
        received = b""
        while not received.endswith(b'{"ok":true}') and b"\r\n\r\n{" not in received:
            received += connection.recv(65536)
        while not received.rstrip().endswith(b"}"):
            received += connection.recv(65536)
        took.append((time.perf_counter() - began) * 1000)
    connection.close()
    return took


class Held:
    """`count` open streams, their events read (and dropped) on a thread."""

    def __init__(self, port: int, path: str, count: int):
        self.streams = [open_stream(port, path) for _ in range(count)]
        self.selector = selectors.DefaultSelector()
        for stream in self.streams:
            stream.setblocking(False)
            self.selector.register(stream, selectors.EVENT_READ)
        self.events = 0
        self.closed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.selector.select(timeout=0.1):
                try:
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                except BlockingIOError:
                    continue
                if not data:
                    self.selector.unregister(key.fileobj)
                    self.closed += 1
                self.events += data.count(b"data: ")

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for stream in self.streams:
            stream.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(name: str, port: int, args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    figures["events/s, one stream"] = events_per_second(port, args.events)
    plain_latencies(port, 50)  # warm up
    alone = plain_latencies(port, args.requests)
    figures["plain p50 ms, no stream open"] = statistics.median(alone)
    held = Held(port, "/ticker", args.streams)
    try:
        meanwhile: list[float] = []
        held_until = time.monotonic() + args.hold
        while time.monotonic() < held_until:  # long enough for every stream to tick
            meanwhile += plain_latencies(port, args.requests)
        figures[f"plain p50 ms, {args.streams} streams open"] = statistics.median(meanwhile)
        figures[f"plain p99 ms, {args.streams} streams open"] = percentile(meanwhile, 0.99)
        figures[f"streams still open of {args.streams}"] = args.streams - held.closed
        figures["plain requests answered meanwhile"] = len(meanwhile)
        figures["ticks received meanwhile"] = held.events
    finally:
        held.close()
    print(f"{name}: {json.dumps({k: round(v, 2) for k, v in figures.items()})}", flush=True)
    return figures


def import_flask_seconds() -> float:
    began = time.perf_counter()
    subprocess.run([PYTHON, "-c", "import flask"], check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--hold", type=float, default=3.0, help="seconds the streams stay open")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    print(f"machine baseline: python -c 'import flask' {import_flask_seconds():.3f} s")
    results = {}
    for name, command in (
        ("mockserve", [PYTHON, "-m", "mockserve", "run", "-q", str(HERE / "streams.yaml")]),
        ("ASGI by hand", [PYTHON, str(HERE / "streams.py"), "--serve-baseline"]),
    ):
        port = free_port()
        full = [*command, "--port", str(port)] if name == "mockserve" else [*command, str(port)]
        process = start(full, port)
        try:
            results[name] = measure(name, port, args)
        finally:
            process.terminate()
            process.wait(timeout=20)
    print()
    print("| figure | mockserve | ASGI by hand | ratio |")
    print("|---|---|---|---|")
    for figure in results["mockserve"]:
        ours, theirs = results["mockserve"][figure], results["ASGI by hand"][figure]
        ratio = f"{ours / theirs:.2f}x" if theirs else "-"
        print(f"| {figure} | {ours:,.2f} | {theirs:,.2f} | {ratio} |")


if __name__ == "__main__":
    main()
